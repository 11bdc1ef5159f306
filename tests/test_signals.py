"""Ctrl-C and SIGTERM stop every long-running command, in each of its phases, as a user sends them:
within 10 s, exit status 0, and nothing left behind (no child process, no port held)."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.demoweb import HOSTS, DemoWeb
from tests.conftest import CliProcess, Crawl, free_port

pytestmark = pytest.mark.crawl

STOP_WITHIN = 10.0  # seconds from the signal to the exit, on a machine that is not oversubscribed


def stop_within() -> float:
    """The bound a stop is held to here. A graceful stop finishes the requests in flight (a Chromium
    start-up among them) and closes the WARCs: on a shared machine running several times more work
    than it has cores that takes longer, and timings stay out of pass/fail there (see conftest); a
    stop that never comes still fails."""
    return STOP_WITHIN if os.getloadavg()[0] <= (os.cpu_count() or 1) else 3 * STOP_WITHIN
# Sources for the crawls caught midway on a slowed demo web (a graceful stop still finishes the requests
# in flight and closes the WARCs): no browser source, whose Chromium start-up alone takes seconds.
SOME = ["qutoutiao-tech", "zaker-news", "cyol", "gbknews-list"]


class Command(CliProcess):
    """`python -m crawler ARGS` in a session of its own (its children are found, and ended, by session)."""

    def __init__(self, *args: str) -> None:
        super().__init__(*args, session=True)

    def wait_for(self, condition: Callable[[], object], what: str, timeout: float = 90, poll: float = 0.05) -> Any:
        return super().wait_for(condition, what, timeout, poll)

    def signal_and_wait(self, signum: int) -> tuple[int, float]:
        """Send ``signum``; the exit status and the seconds it took."""
        sent = time.monotonic()
        self.proc.send_signal(signum)
        try:
            code = self.proc.wait(timeout=3 * STOP_WITHIN + 10)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running {3 * STOP_WITHIN + 10} s after {signum!r}:\n{self.output}") from None
        took = time.monotonic() - sent
        self._reader.join(timeout=5)
        return code, took


@pytest.fixture
def commands() -> Iterator[list[Command]]:
    started: list[Command] = []
    yield started
    for command in started:
        command.close()


def session_processes(session: int) -> list[str]:
    """The command lines of the processes still in a session (the command's children, orphaned or not)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(cmdline)
    return found


def assert_nothing_left(command: Command, ports: list[int]) -> None:
    deadline = time.monotonic() + 5  # an orphaned resource tracker notices its parent's exit soon after
    while (left := session_processes(command.proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, f"left running: {left}"
    for port in ports:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))  # raises if something still holds it


def free_port_range(count: int) -> int:
    """A first port of ``count`` consecutive free ones (the demo web's hosts are BASE + i)."""
    for _ in range(100):
        base = random.randrange(20000, 60000 - count)
        try:
            for port in range(base, base + count):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise AssertionError("no free port range")


def open_warc(data: Path) -> bool:
    return bool(list((data / "warc").glob("*.open")))


@pytest.mark.parametrize(("phase", "signum"), [
    ("crawl", signal.SIGINT), ("crawl", signal.SIGTERM), ("export", signal.SIGTERM),
    ("serve", signal.SIGINT), ("serve", signal.SIGTERM),
])
def test_demo_stops_on_a_signal_in_each_phase(phase: str, signum: int, tmp_path: Path,
                                              commands: list[Command]) -> None:
    data, port, web_port = tmp_path / "demo", free_port(), free_port_range(len(HOSTS))
    demo = Command("demo", "--data", str(data), "--port", str(port), "--web-port", str(web_port))
    commands.append(demo)
    if phase == "crawl":
        demo.wait_for(lambda: open_warc(data), "the crawl to write its WARC")
    elif phase == "export":
        demo.wait_for(lambda: re.search(r"^archived \d+ records", demo.output, re.M),
                      "the crawl summary (the export starts next)")
    else:
        demo.wait_for(lambda: "serving " in demo.output, "the feeds to be served")
    code, took = demo.signal_and_wait(signum)
    assert code == 0 and took < stop_within(), f"exit {code} after {took:.1f} s:\n{demo.output}"
    assert "Traceback" not in demo.output, demo.output
    if phase == "crawl":
        assert "demo stopped by a signal during the crawl" in demo.output, demo.output
        assert not open_warc(data), "the WARC was not finished"
    elif phase == "export":
        # The export in progress is finished (its feeds are written), then the demo stops; a signal
        # that came only once the export was done stops the serving instead.
        assert (data / "feeds" / "all.atom").exists()
        assert "stopped by a signal (after the export)" in demo.output or "stopped serving" in demo.output
    else:
        assert "stopped serving" in demo.output, demo.output
    assert_nothing_left(demo, [port, *range(web_port, web_port + len(HOSTS))])


def test_a_second_ctrl_c_stops_the_demo_at_once(tmp_path: Path, commands: list[Command]) -> None:
    data, web_port = tmp_path / "demo", free_port_range(len(HOSTS))
    demo = Command("demo", "--once", "-v", "--data", str(data), "--port", "0", "--web-port", str(web_port))
    commands.append(demo)
    demo.wait_for(lambda: open_warc(data), "the crawl to write its WARC")
    demo.proc.send_signal(signal.SIGINT)
    demo.wait_for(lambda: "shutting down gracefully" in demo.output, "the graceful stop to begin", timeout=20)
    code, took = demo.signal_and_wait(signal.SIGINT)
    assert code in (0, 130) and took < stop_within(), f"exit {code} after {took:.1f} s:\n{demo.output}"
    assert_nothing_left(demo, list(range(web_port, web_port + len(HOSTS))))


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_crawl_stops_on_a_signal_mid_crawl(signum: int, tmp_path: Path, commands: list[Command]) -> None:
    data, config = tmp_path / "data", tmp_path / "sources.toml"
    with DemoWeb(latency=0.2) as web:  # slow enough to be caught in the middle
        config.write_text(web.sources_toml(), encoding="utf-8")
        crawl = Command("crawl", *SOME, "--config", str(config), "--data", str(data), "-v")
        commands.append(crawl)
        crawl.wait_for(lambda: open_warc(data), "the crawl to write its WARC")
        code, took = crawl.signal_and_wait(signum)
    assert code == 0 and took < stop_within(), f"exit {code} after {took:.1f} s:\n{crawl.output}"
    assert "Closing spider (shutdown)" in crawl.output and "crawl stopped by a signal" in crawl.output
    assert not open_warc(data) and "Traceback" not in crawl.output
    assert_nothing_left(crawl, [])


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_serve_stops_on_a_signal(signum: int, crawl: Crawl, commands: list[Command]) -> None:
    port = free_port()
    serve = Command("serve", "--data", str(crawl.data), "--config", str(crawl.config), "--port", str(port))
    commands.append(serve)
    serve.wait_for(lambda: f":{port}/feeds/all.atom" in serve.output, "serve to listen")
    code, took = serve.signal_and_wait(signum)
    assert code == 0 and took < stop_within(), f"exit {code} after {took:.1f} s:\n{serve.output}"
    assert "stopped serving" in serve.output and "Traceback" not in serve.output
    assert_nothing_left(serve, [port])


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_daemon_stops_on_a_signal_mid_crawl(signum: int, tmp_path: Path, commands: list[Command]) -> None:
    data, config, port = tmp_path / "data", tmp_path / "daemon.toml", free_port()
    data.mkdir()
    with DemoWeb(latency=0.2) as web:
        config.write_text(web.sources_toml() + f'\n[[schedules]]\nname = "all"\nsources = {json.dumps(SOME)}\n'
                          'interval = 600\n', encoding="utf-8")
        daemon = Command("daemon", "--config", str(config), "--data", str(data), "--port", str(port))
        commands.append(daemon)
        daemon.wait_for(lambda: open_warc(data), "a scheduled crawl to write its WARC")
        code, took = daemon.signal_and_wait(signum)
    assert code == 0 and took < stop_within(), f"exit {code} after {took:.1f} s:\n{daemon.output}"
    assert "daemon stopped" in daemon.output and not open_warc(data)
    log = next((data / "logs" / "all").glob("*.log")).read_text(encoding="utf-8")
    assert re.search(r"Closing spider \(shutdown\)", log), log
    assert_nothing_left(daemon, [port])

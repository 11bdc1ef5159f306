"""The real daemon, in a subprocess, against the demo web on schedules of a few seconds."""

from __future__ import annotations

import io
import itertools
import json
import os
import pickle
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from warcio.archiveiterator import ArchiveIterator

from crawler.demoweb import DemoWeb
from crawler.index import SourceRun, SqlIndexStore
from schedules.store import read_jobs, version_table
from tests.conftest import POSTGRES_URL, ROOT, CliProcess, Crawl, run_cli, sqlite_index

pytestmark = pytest.mark.crawl



class DaemonProcess(CliProcess):
    """`feedarchiver daemon` (or `demo --daemon`) in a subprocess."""

    base_url = ""

    def started(self) -> None:
        """Up: the daemon has created the index and taken the job store (before that the files may be half-made)."""
        self.wait_for(lambda: "daemon running" in self.output, "the daemon to start")

    def serving(self) -> str:
        def address() -> str:
            found = re.search(r"health at (http://[\d.]+:\d+)/health", self.output)
            return found.group(1) if found else ""
        self.base_url = self.wait_for(address, "the health URL")
        return self.base_url

    def health(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.base_url + "/health", timeout=10) as response:
            assert response.headers["Content-Type"].startswith("application/json")
            document: dict[str, Any] = json.load(response)
            return document

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 60) -> int:
        self.proc.send_signal(signum)
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code


@pytest.fixture
def daemons() -> Iterator[list[DaemonProcess]]:
    """Every daemon a test starts is closed after it (killed if the test failed before stopping it)."""
    started: list[DaemonProcess] = []
    yield started
    for daemon in started:
        daemon.close()


def write_config(path: Path, web: DemoWeb, schedules: str, also_allow: tuple[str, ...] = ()) -> Path:
    path.write_text(web.sources_toml(also_allow) + "\n" + schedules, encoding="utf-8")
    return path


def runs_of(data: Path) -> dict[str, list[SourceRun]]:
    store = SqlIndexStore(sqlite_index(data))
    try:
        return {source: sorted(runs, key=lambda r: r.id) for source, runs in store.recent_runs(1000).items()}
    finally:
        store.close()


def finished_runs(data: Path, source: str) -> list[SourceRun]:
    if not (data / "index.sqlite3").exists():
        return []
    return [r for r in runs_of(data).get(source, []) if r.status != "running"]


def assert_no_overlap(runs: list[SourceRun]) -> None:
    for earlier, later in itertools.pairwise(runs):
        assert earlier.finished_at is not None
        assert later.started_at >= earlier.finished_at, f"runs {earlier.id} and {later.id} overlap"


def assert_archive_consistent(data: Path, config: Path) -> None:
    """Finished WARCs that warcio accepts, every capture in the index pointing at its record, and
    `feedarchiver verify` content."""
    warc_dir = data / "warc"
    assert not list(warc_dir.glob("*.open")), "a WARC was left open"
    files = sorted(warc_dir.glob("*.warc.gz"))
    assert files
    for path in files:
        check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(path)],
                               capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stdout + check.stderr
    db = sqlite3.connect(data / "index.sqlite3")
    try:
        captures = db.execute("SELECT warc_file, `offset`, length, record_id, url FROM captures").fetchall()
        orphans = db.execute("SELECT count(*) FROM posts WHERE id NOT IN (SELECT post_id FROM captures)").fetchone()
    finally:
        db.close()
    assert captures and orphans == (0,)
    for warc_file, offset, length, record_id, url in captures:
        with open(warc_dir / warc_file, "rb") as fh:
            fh.seek(offset)
            chunk = fh.read(length)  # exactly one whole record (one gzip member)
        records = list(ArchiveIterator(io.BytesIO(chunk)))
        assert len(records) == 1
        assert records[0].rec_headers.get_header("WARC-Record-ID") == record_id
        # A page seen before is a revisit; a browser-rendered one a resource (urn:dom:URL).
        assert records[0].rec_type in ("response", "revisit", "resource")
        assert records[0].rec_headers.get_header("WARC-Target-URI").removeprefix("urn:dom:") == url
    verify = run_cli("verify", "--data", str(data), "--config", str(config))
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_two_sources_run_on_schedule_never_overlapping(demo_web: DemoWeb, tmp_path: Path,
                                                       daemons: list[DaemonProcess]) -> None:
    data = tmp_path / "data"
    data.mkdir()  # the daemon crawls into an existing data directory, never one a typo named
    # zaker-news is in both schedules: the daemon must still never crawl it twice at once.
    config = write_config(tmp_path / "daemon.toml", demo_web, """
[[schedules]]
name = "fast"
sources = ["zaker-news"]
interval = 1
adaptive = false
export_after = false

[[schedules]]
name = "both"
sources = ["zaker-news", "cyol"]
interval = 2
jitter = 0.5
adaptive = false
""")
    daemon = DaemonProcess("daemon", "--config", str(config), "--data", str(data), "--port", "0")
    daemons.append(daemon)
    daemon.serving()
    daemon.wait_for(lambda: all(len(finished_runs(data, s)) >= 2 for s in ("zaker-news", "cyol")), "two runs each")
    health = daemon.health()
    assert daemon.stop() == 0, daemon.output

    runs = runs_of(data)
    for source in ("zaker-news", "cyol"):
        assert len(runs[source]) >= 2
        # The stop may catch the last crawl: stopped cleanly, or before it got going.
        assert all(r.status == "ok" for r in runs[source][:-1]), runs[source]
        assert runs[source][-1].status in ("ok", "shutdown", "interrupted"), runs[source]
        assert_no_overlap(runs[source])
    # Each crawl in its own subprocess with its own log; the export ran after the crawls of "both".
    logs = sorted((data / "logs").glob("*/*.log"), key=lambda path: path.name)  # named by start time
    assert {log.parent.name for log in logs} == {"fast", "both"}
    crawled = [re.search(r"schedule \w+: crawl (.*)", log.read_text(encoding="utf-8")).group(1).split()  # type: ignore[union-attr]
               for log in logs]
    for source in ("zaker-news", "cyol"):
        assert sum(source in names for names in crawled) == len(runs[source])  # one log per crawl
    for log in logs[:-2]:  # the last ones may have been stopped with the daemon
        body = log.read_text(encoding="utf-8")
        assert "-m crawler crawl" in body and "Spider closed (finished)" in body and "exit code 0" in body
    assert "-m crawler export" in "".join(log.read_text(encoding="utf-8") for log in logs if log.parent.name == "both")
    assert (data / "feeds" / "all.atom").exists()
    assert_archive_consistent(data, config)

    # /health, served by the daemon: per-source last run, next run, and the daemon's own state.
    for source in ("zaker-news", "cyol"):
        entry = health["sources"][source]
        assert entry["last_run"]["status"] in ("ok", "running") and entry["runs"] >= 2 and entry["next_run"]
        assert not entry["blocked"] and not entry["backing_off"]
    assert set(health["sources"]["zaker-news"]["schedules"]) == {"fast", "both"}
    assert health["daemon"]["pid"] == daemon.proc.pid and health["daemon"]["job_table"] == "feedarchiver_jobs"
    assert health["schedules"]["both"]["when"] == "every 2s +0.5s jitter"

    listing = run_cli("sources", "--config", str(config), "--data", str(data))
    assert listing.returncode == 0, listing.stderr
    # (its last run may be the one the stop interrupted)
    assert re.search(r"cyol .*\n.*\n    last run: (ok|shutdown|interrupted) .*\n(    last error: .*\n)?"
                     r"    state: \w+ .*\n"
                     r"    next run: \S+ \(both\); schedules: both\n", listing.stdout), listing.stdout

    # A second daemon on the same job store refuses to start, with one clear line.
    # (It crawls while it holds the lock; its crawls get 20 s to stop, so it is gone within stop()'s wait.)
    with_lock = DaemonProcess("daemon", "--config", str(config), "--data", str(data),
                              env={"FEEDARCHIVER_DAEMON_STOP_TIMEOUT": "20"})
    daemons.append(with_lock)
    with_lock.started()
    daemon2 = DaemonProcess("daemon", "--config", str(config), "--data", str(data))
    daemons.append(daemon2)
    assert daemon2.proc.wait(timeout=30) == 2
    assert "another daemon is running the schedules" in daemon2.output
    assert with_lock.stop() == 0


def black_hole() -> socket.socket:
    """A port that accepts connections (the kernel does) but never answers: a hanging server."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    return sock


def test_a_hang_is_killed_a_crash_is_recorded_and_both_are_retried(demo_web: DemoWeb, tmp_path: Path,
                                                                    daemons: list[DaemonProcess]) -> None:
    data = tmp_path / "data"
    data.mkdir()  # the daemon crawls into an existing data directory, never one a typo named
    hole = black_hole()
    port = hole.getsockname()[1]
    config = write_config(tmp_path / "daemon.toml", demo_web, f"""
[sources.hanging]
kind = "feed"
urls = ["http://127.0.0.1:{port}/feed.xml"]

[[schedules]]
name = "hang"
sources = ["hanging"]
interval = 1
timeout = 4  # past Scrapy's start-up, so the SIGTERM meets a crawl stuck on a request
export_after = false

[[schedules]]
name = "crash"
sources = ["cyol"]
interval = 1
export_after = false

[[schedules]]
name = "waf"
sources = ["zaker-blocked"]
interval = 1
export_after = false
""", also_allow=(f"127.0.0.1:{port}",))
    try:
        daemon = DaemonProcess("daemon", "--config", str(config), "--data", str(data), "--port", "0",
                               env={"FEEDARCHIVER_DAEMON_STOP_TIMEOUT": "1", "FEEDARCHIVER_DAEMON_MAX_CRAWLS": "3"})
        daemons.append(daemon)
        daemon.serving()
        # Kill the first cyol crawl the way the OOM killer would.
        pid = daemon.wait_for(lambda: daemon.health()["daemon"]["running"].get("crash", {}).get("pid"), "a crawl")
        os.kill(pid, signal.SIGKILL)
        daemon.wait_for(lambda: len(finished_runs(data, "hanging")) >= 2
                        and any(r.status == "ok" for r in finished_runs(data, "cyol"))
                        and "skipping zaker-blocked" in daemon.output, "retries, and the blocked source skipped")
        health = daemon.health()
        assert daemon.stop() == 0, daemon.output
    finally:
        hole.close()

    hanging = finished_runs(data, "hanging")
    assert [r.status for r in hanging[:2]] == ["timeout", "timeout"], hanging
    assert "ran past its timeout" in (hanging[0].last_error or "") and "log logs/hang/" in (hanging[0].last_error or "")
    first_log = (data / hanging[0].details["log"]).read_text(encoding="utf-8")
    if "Spider opened" in first_log:  # hung in a request (not still starting up, on a loaded machine)
        assert hanging[0].details["exit_code"] == -signal.SIGKILL  # and past the stop grace time too
    assert_no_overlap(hanging)
    cyol = finished_runs(data, "cyol")
    assert cyol[0].status == "crashed" and "killed by SIGKILL" in (cyol[0].last_error or ""), cyol[0]
    assert "ok" in [r.status for r in cyol[1:]]  # retried at its next slots
    assert "killed by SIGKILL" in daemon.output and "ran past its timeout" in daemon.output
    # Two failures in a row: the hanging source is backing off, and /health says so.
    entry = health["sources"]["hanging"]
    assert entry["last_run"]["status"] == "timeout" and entry["state"] in ("failing", "backing off")
    assert health["status"] == "degraded" and "hanging" in health["problems"]
    # A WAF block holds the source for its block_backoff: the daemon does not even start a crawl of it.
    blocked = finished_runs(data, "zaker-blocked")
    assert [r.status for r in blocked] == ["blocked"] and blocked[0].details["blocked"] == "safeline"
    assert "[waf] skipping zaker-blocked (blocked by a safeline WAF challenge; backing off until" in daemon.output
    entry = health["sources"]["zaker-blocked"]
    assert entry["state"] == "blocked" and entry["blocked"] and entry["backing_off"]
    assert entry["block"]["waf"] == "safeline" and entry["next_run"] >= entry["block"]["until"]
    assert "zaker-blocked" in health["problems"]


def test_sigterm_mid_crawl_leaves_valid_warcs_and_a_consistent_index(tmp_path: Path,
                                                                    daemons: list[DaemonProcess]) -> None:
    data = tmp_path / "data"
    data.mkdir()  # the daemon crawls into an existing data directory, never one a typo named
    with DemoWeb(latency=0.4) as slow_web:  # slow enough to be caught in the middle of a crawl
        config = write_config(tmp_path / "daemon.toml", slow_web, """
[[schedules]]
name = "aggregators"
sources = ["qutoutiao-tech", "zaker-news"]
interval = 60
timeout = 120
""")
        daemon = DaemonProcess("daemon", "--config", str(config), "--data", str(data))
        daemons.append(daemon)

        def mid_crawl() -> bool:
            if not list((data / "warc").glob("*.open")) or not (data / "index.sqlite3").exists():
                return False
            db = sqlite3.connect(data / "index.sqlite3")
            try:
                return bool(db.execute("SELECT count(*) FROM captures").fetchone()[0])
            except sqlite3.OperationalError:  # tables not created yet
                return False
            finally:
                db.close()

        daemon.wait_for(mid_crawl, "a crawl with stored posts and an open WARC")
        assert daemon.stop() == 0, daemon.output

    log = next((data / "logs" / "aggregators").glob("*.log")).read_text(encoding="utf-8")
    assert "Closing spider (shutdown)" in log, log  # stopped in the middle, not after the end
    assert "exit code 0" in log
    assert_archive_consistent(data, config)
    runs = runs_of(data)
    for source in ("qutoutiao-tech", "zaker-news"):
        assert [r.status for r in runs[source]] == ["shutdown"]  # recorded, none left "running"
    assert not (data / "feeds").exists()  # no export after an interrupted crawl
    assert "stopping: 1 running crawl(s) finish their current records first" in daemon.output


def test_postgresql_job_store_resumes_without_a_burst(demo_web: DemoWeb, tmp_path: Path,
                                                      daemons: list[DaemonProcess]) -> None:
    table = f"jobs_{uuid.uuid4().hex[:10]}"
    data = tmp_path / "data"
    data.mkdir()  # the daemon crawls into an existing data directory, never one a typo named
    env = {"FEEDARCHIVER_SCHEDULE_STORE_URL": POSTGRES_URL, "FEEDARCHIVER_SCHEDULE_STORE_TABLE": table}
    # misfire_grace is long so that without coalescing both missed runs would run, one after the other.
    config = write_config(tmp_path / "daemon.toml", demo_web, """
[[schedules]]
name = "papers"
sources = ["cyol"]
interval = 5
misfire_grace = 60
adaptive = false
export_after = false
""")
    args = ("daemon", "--config", str(config), "--data", str(data))
    engine = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://"))
    try:
        first = DaemonProcess(*args, env=env)
        daemons.append(first)
        first.started()
        first.wait_for(lambda: finished_runs(data, "cyol"), "the first run")
        assert first.stop() == 0, first.output
        with engine.connect() as conn:
            state = pickle.loads(conn.execute(text(f"SELECT job_state FROM {table}")).scalar_one())
        assert (state["coalesce"], state["max_instances"], state["misfire_grace_time"]) == (True, 1, 60)
        stored = read_jobs(POSTGRES_URL, table)["papers"]
        assert stored.next_run_time is not None

        # Down over two slots (both within the grace time), then back.
        missed = [stored.next_run_time, stored.next_run_time + timedelta(seconds=5)]
        restart_at = missed[-1] + timedelta(seconds=0.5)
        time.sleep(max(0.0, (restart_at - datetime.now(restart_at.tzinfo)).total_seconds()))
        before = len(finished_runs(data, "cyol"))
        second = DaemonProcess(*args, "-v", env=env)  # -v: APScheduler logs each run time it executes
        daemons.append(second)
        second.started()
        assert "[papers] resumed" in second.output
        assert "scheduled:" not in second.output  # resumed from PostgreSQL, not scheduled anew
        second.wait_for(lambda: len(finished_runs(data, "cyol")) > before, "the catch-up run")
        assert second.stop() == 0, second.output
        executed = [datetime.fromisoformat(when) for when in
                    re.findall(r'Running job "papers [^\n]*" \(scheduled at ([^)]+)\)', second.output)]
        # Coalesced: the latest missed slot runs once; the one before it is not run as well.
        late = [when for when in executed if when < restart_at]
        assert len(late) == 1, f"a burst of missed runs after the restart: {executed}"
        assert abs((late[0] - missed[-1]).total_seconds()) < 1
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
            conn.execute(text(f"DROP TABLE IF EXISTS {version_table(table)}"))  # stamped by the second start
        engine.dispose()


def test_demo_daemon_in_one_command(tmp_path: Path, daemons: list[DaemonProcess]) -> None:
    data = tmp_path / "demo"
    demo = DaemonProcess("demo", "--daemon", "--data", str(data), "--port", "0")
    daemons.append(demo)
    demo.serving()
    aggregators = ("qutoutiao-tech", "zaker-news", "qutoutiao-broken")

    def crawled_and_exported() -> dict[str, Any] | None:
        health = demo.health()
        done = all((health["sources"][s]["last_run"] or {}).get("finished") for s in aggregators)
        return health if done and health["daemon"]["last_export"] else None

    health = demo.wait_for(crawled_and_exported, "the first scheduled crawl and export")
    with urllib.request.urlopen(demo.base_url + "/feeds/all.atom", timeout=10) as response:
        assert b"<entry>" in response.read()
    assert demo.stop(signal.SIGINT) == 0, demo.output  # Ctrl-C
    assert health["sources"]["cyol"]["next_run"] and health["sources"]["cyol"]["schedules"] == ["newspapers"]
    assert health["sources"]["qutoutiao-broken"]["last_run"]["errors"] >= 1
    assert not list((data / "warc").glob("*.open"))
    assert "the daemon crawls them on the schedules in" in demo.output and "daemon stopped" in demo.output


def test_serve_health_and_sources_json_after_a_crawl(crawl: Crawl, tmp_path: Path) -> None:
    # The crawl's config plus a schedule, as an operator running `serve` beside the daemon has it.
    config = tmp_path / "scheduled.toml"
    config.write_text(crawl.config.read_text(encoding="utf-8")
                      + '\n[[schedules]]\nname = "all"\nsources = "*"\ninterval = 900\n', encoding="utf-8")
    listing = run_cli("sources", "--json", "--config", str(config), "--data", str(crawl.data))
    assert listing.returncode == 0, listing.stderr
    report = json.loads(listing.stdout)
    broken = report["sources"]["qutoutiao-broken"]
    assert broken["last_run"]["status"] == "errors" and "feed_malformed" in broken["last_run"]["last_error"]
    assert broken["schedules"] == ["all"] and broken["next_run"] is None  # no daemon has run it yet
    assert report["sources"]["cyol"]["state"] == "ok" and report["sources"]["cyol"]["posts"] > 0

    server = subprocess.Popen([sys.executable, "-m", "crawler", "serve", "--config", str(config), "--data",
                               str(crawl.data), "--port", "0"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        url = re.search(r"(http://[\d.]+:\d+)/", server.stdout.readline())
        assert url, "serve did not say where it listens"
        with urllib.request.urlopen(url.group(1) + "/health", timeout=10) as response:
            assert response.headers["Cache-Control"] == "no-store"
            served = json.load(response)
    finally:
        server.terminate()
        server.wait(timeout=10)
        assert server.stdout is not None
        server.stdout.close()
    assert served["sources"] == report["sources"] and served["daemon"] is None


def test_the_daemon_refuses_to_start_without_schedules_or_job_store(demo_web: DemoWeb, tmp_path: Path) -> None:
    def daemon(config: Path, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "crawler", "daemon", "--config", str(config), "--data",
                               str(tmp_path / "data")], capture_output=True, text=True, timeout=60, cwd=ROOT,
                              env={**os.environ, **env}, check=False)

    bare = write_config(tmp_path / "bare.toml", demo_web, "")
    result = daemon(bare)
    assert result.returncode == 2 and result.stderr.startswith("feedarchiver: no [[schedules]] in ")
    assert len(result.stderr.strip().splitlines()) == 1
    scheduled = write_config(tmp_path / "s.toml", demo_web, '[[schedules]]\nname = "a"\nsources = ["cyol"]\n'
                                                          'interval = 60\n')
    (tmp_path / "data").mkdir()
    result = daemon(scheduled, FEEDARCHIVER_SCHEDULE_STORE_URL="postgresql://postgres@127.0.0.1:1/test")
    assert result.returncode == 2 and "feedarchiver: cannot reach the job store" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1

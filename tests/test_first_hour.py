"""What a new operator sees in the first hour: expected outcomes are not errors, a source held back is
said to be skipped, /health tells the truth about what runs, and the demo daemon's schedules fit."""

from __future__ import annotations

import json
import re
import signal
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from crawler.config import load_config
from crawler.demoweb import DemoWeb
from schedules.spec import load_schedules
from tests.conftest import Crawl, run_cli
from tests.test_daemon import DaemonProcess

pytestmark = pytest.mark.crawl


def test_the_demo_webs_deliberate_failures_are_warnings_with_their_reason(crawl: Crawl) -> None:
    # The crawl's output at the default level: the demo web's broken feed, 404s, WAF block, slow picture.
    assert not re.search(r"^(ERROR|CRITICAL) ", crawl.output, re.M), crawl.output
    assert "Gave up retrying" not in crawl.output
    assert re.search(r"^WARNING crawler\.pipelines\.images: .*slow\.jpg .* not archived \(timeout: ", crawl.output,
                     re.M), crawl.output
    assert re.search(r"^WARNING crawler\.spiders\.base: \[qutoutiao-broken\] feed_malformed: ", crawl.output, re.M)


def test_a_source_backing_off_is_summarised_as_skipped(demo_web: DemoWeb, tmp_path: Path) -> None:
    config, data = tmp_path / "sources.toml", tmp_path / "data"
    config.write_text(demo_web.sources_toml(), encoding="utf-8")
    first = run_cli("crawl", "zaker-blocked", "zaker-news", "--config", str(config), "--data", str(data))
    assert first.returncode == 0, first.stdout + first.stderr
    assert re.search(r"^  zaker-blocked: 0 posts, 1 errors \(last: blocked: safeline", first.stdout, re.M)
    second = run_cli("crawl", "zaker-blocked", "zaker-news", "--config", str(config), "--data", str(data))
    assert second.returncode == 0, second.stdout + second.stderr
    skipped = r"^  zaker-blocked: skipped \(backing off until 20\d\d-\d\d-\d\dT[\d:]+\+00:00: blocked earlier\)$"
    assert re.search(skipped, second.stdout, re.M), second.stdout
    assert re.search(r"^  zaker-news: \d+ posts, 0 errors$", second.stdout, re.M), second.stdout


def _stamp(line: str) -> datetime:
    return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")


@pytest.fixture
def demo_daemon(tmp_path: Path) -> Iterator[DaemonProcess]:
    demo = DaemonProcess("demo", "--daemon", "--data", str(tmp_path / "demo"), "--port", "0", "--web-port", "0")
    try:
        yield demo
    finally:
        demo.close()


def test_demo_daemon_health_and_schedules(tmp_path: Path, demo_daemon: DaemonProcess) -> None:
    """/health stops calling a source `running` when its crawl process exits (the export after it is
    the daemon's own work), and each demo schedule is longer than a crawl and its export take here."""
    data, demo = tmp_path / "demo", demo_daemon
    base = demo.serving()
    samples: list[dict[str, Any]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            try:
                with urllib.request.urlopen(base + "/health", timeout=10) as response:
                    samples.append(json.load(response))
            except OSError:
                pass
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        demo.wait_for(lambda: "[aggregators] exported " in demo.output, "the first crawl and export", timeout=120)
    finally:
        done.set()
        sampler.join(timeout=15)
    assert demo.stop(signal.SIGINT) == 0, demo.output

    aggregators = [name for name, s in samples[-1]["sources"].items() if "aggregators" in s["schedules"]]
    exporting = [s for s in samples if "aggregators:export" in s["daemon"]["running"]]
    assert exporting, "no /health answer came while the export ran"
    for health in exporting:
        assert "aggregators" not in health["daemon"]["running"]
        assert all(health["sources"][name]["state"] != "running" for name in aggregators), health["sources"]
    crawling = [s for s in samples if "aggregators" in s["daemon"]["running"]]
    assert crawling and any(s["sources"][aggregators[0]]["state"] == "running" for s in crawling)

    # One crawl and its export, from the daemon's own log lines (on this machine, now): every schedule
    # is longer, so no slot finds the schedule's last run still going.
    lines = demo.output.splitlines()
    started = _stamp(next(line for line in lines if "[aggregators] crawling " in line))
    exported = _stamp(next(line for line in lines if "[aggregators] exported " in line))
    took = (exported - started).total_seconds()
    specs = load_schedules(load_config(data / "demo-sources.toml"))
    assert {spec.name for spec in specs} == {"aggregators", "newspapers"}
    for spec in specs:
        assert spec.nominal_interval().total_seconds() > took, f"{spec.name}: a crawl and export took {took:.1f} s"
    assert "maximum number of running instances" not in demo.output

"""The progress display: one line summed over every crawler of the crawl, as the summary sums them."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler.demoweb import DemoWeb
from crawler.extensions.progress import CrawlProgress
from tests.conftest import ROOT

LINE = re.compile(r"(\d+) items, (\d+) pages \((\d+) pages/min\), (\d+) errors, (\d+) queued, \d+:\d\d")
SUMMARY = re.compile(r"^crawled (\d+) pages, (\d+) posts, (\d+) errors", re.M)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def stats(**values: int) -> MemoryStatsCollector:
    collector = MemoryStatsCollector(get_crawler())
    for key, value in values.items():
        collector.set_value(key.replace("__", "/"), value)
    return collector


def test_the_line_sums_every_crawler() -> None:
    progress = CrawlProgress(io.StringIO(), 1.0, per_source=True)
    progress.add(stats(response_received_count=30, item_scraped_count=12, errors__total=2,
                       scheduler__enqueued=40, scheduler__dequeued=31))
    feeds = stats(response_received_count=7, errors__total=4, scheduler__enqueued=3, scheduler__dequeued=3)
    feeds.set_value("source/cyol/items", 5)
    feeds.set_value("source/cyol/errors", 4)
    feeds.set_value("source/cyol/error/http_404", 4)  # a breakdown, not a second count
    progress.add(feeds)
    found = LINE.match(progress.line())
    assert found is not None, progress.line()
    assert (found[1], found[2], found[4], found[5]) == ("12", "37", "6", "9")
    assert progress.totals().per_source == {"cyol": {"items": 5, "errors": 4}}
    assert "\n  cyol: 5 posts, 4 errors" in progress.render().plain


def run_in_pty(argv: list[str], timeout: float = 300) -> tuple[int, str]:
    """A command run on a terminal, as a user runs it; its whole output and exit status."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, cwd=ROOT, close_fds=True)
    os.close(slave)
    chunks: list[bytes] = []
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the terminal's other side is closed
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            elif proc.poll() is not None:
                break
        code = proc.wait(timeout=timeout)
    finally:
        os.close(master)
    return code, b"".join(chunks).decode("utf-8", errors="replace")


def test_one_live_line_on_a_terminal_ends_at_the_summary_totals(demo_web: DemoWeb, tmp_path: Path) -> None:
    config = tmp_path / "sources.toml"
    config.write_text(demo_web.sources_toml(), encoding="utf-8")
    code, output = run_in_pty([sys.executable, "-m", "crawler", "crawl", "--all", "--progress-sources",
                               "--config", str(config), "--data", str(tmp_path / "data")])
    assert code == 0, output
    text = ANSI.sub("", output).replace("\r", "\n")
    summary = SUMMARY.search(text)
    assert summary is not None, text
    lines = LINE.findall(text[: summary.start()])
    assert lines, text
    items, pages, _, errors, queued = lines[-1]
    # The display's last state is the summary's totals, over every kind of spider at once.
    assert (pages, items, errors) == summary.groups() and queued == "0"
    assert int(errors) >= 5  # the demo's deliberate failures, in several spiders
    # Log lines are printed above the display, never run into it.
    assert not re.search(r"(errors|queued, \d+:\d\d)(WARNING|INFO|ERROR)", text), text
    assert re.search(r"^WARNING crawler\.spiders\.base: ", text, re.M)
    # Per-source counts under it, with the summary's figures.
    source = re.compile(r"^  ([\w-]+): (\d+) posts, (\d+) errors", re.M)
    last_block = text[: summary.start()].rpartition(lines[-1][0] + " items, ")[2]
    shown = dict((name, (n, e)) for name, n, e in source.findall(last_block))
    summarised = dict((name, (n, e)) for name, n, e in source.findall(text[summary.end():]))
    assert shown and shown == {name: counts for name, counts in summarised.items() if counts != ("0", "0")}


def test_nothing_of_it_when_not_a_terminal(demo_web: DemoWeb, tmp_path: Path) -> None:
    config = tmp_path / "sources.toml"
    config.write_text(demo_web.sources_toml(), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "crawler", "crawl", "cyol", "--config", str(config), "--data",
                             str(tmp_path / "data")], capture_output=True, text=True, cwd=ROOT, timeout=300,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert not LINE.search(result.stdout + result.stderr) and "\x1b[" not in result.stderr

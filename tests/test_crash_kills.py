"""Crash safety: crawls killed with SIGKILL at 20 random moments over one data directory.

Afterwards `feedarchiver verify` is clean, every post in the index points at a readable record, and
one more crawl completes what was missing: the same posts as an undisturbed crawl, none twice.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest

from crawler.archive.reader import ArchiveReader
from crawler.demoweb import FEEDS, HOSTS, DemoWeb
from crawler.index import SqlIndexStore
from tests.conftest import ROOT, Crawl, run_cli, sqlite_index

pytestmark = pytest.mark.crawl

KILLS = 20
SEED = 20261128  # fixed: a failure can be replayed; the moments still spread over start-up, fetching and writing


def seen(data: Path, web: DemoWeb) -> list[tuple[str, str, str]]:
    """(source, demo ref, role) of every URL the feed sources stored a post at; ports written as host names."""
    store = SqlIndexStore(sqlite_index(data))
    try:
        refs = {web.base_url(host): host for host in HOSTS}
        rows = []
        for post in store.posts():
            for u in post.urls:
                if u.source in FEEDS:
                    origin, _, path = _split(u.url)
                    # A post built from a feed entry (FEED#ENTRY) names its entry's page in the fragment.
                    for base, host in refs.items():
                        path = path.replace(quote(base, safe=""), quote(host, safe=""))
                    rows.append((u.source, f"{refs.get(origin, origin)}:{path}", u.role))
        return rows
    finally:
        store.close()


def open_warcs(data: Path) -> set[str]:
    """WARC files being written (or left open by a kill)."""
    warc = data / "warc"
    return {path.name for path in warc.glob("*.open")} if warc.exists() else set()


def _split(url: str) -> tuple[str, str, str]:
    parts = url.split("?", 1)[0].split("/", 3)
    return "/".join(parts[:3]), "", "/" + (parts[3] if len(parts) > 3 else "")


def test_twenty_sigkills_then_one_run_completes_without_duplicates(tmp_path: Path, crawl: Crawl) -> None:
    rng = random.Random(SEED)
    data = tmp_path / "data"
    config = tmp_path / "sources.toml"
    moments = []
    with DemoWeb(latency=0.05) as web:  # a little latency: a crawl is still busy when most kills land
        config.write_text(web.sources_toml(), encoding="utf-8")
        for _ in range(KILLS):
            # Measured from the moment the crawl starts writing its WARC, not from process start: on a
            # loaded machine start-up alone can outlast a fixed delay, and no kill would land mid-crawl.
            moment = rng.uniform(0.0, 2.0)
            moments.append(moment)
            left_open = open_warcs(data)  # by an earlier kill; this crawl repairs them first
            proc = subprocess.Popen([sys.executable, "-m", "crawler", "crawl", *FEEDS, "--config", str(config),
                                     "--data", str(data)], cwd=ROOT, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 60
            while proc.poll() is None and time.monotonic() < deadline and not open_warcs(data) - left_open:
                time.sleep(0.02)
            time.sleep(moment)
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        killed_mid_write = len(list((data / "warc").glob("*.open"))) if (data / "warc").exists() else 0

        # What the kills left is consistent but for what the next crawl repairs: a file a kill left open,
        # finished files a kill kept from being indexed or packaged.
        verify = run_cli("verify", "--data", str(data), "--config", str(config))
        _, _, listed = verify.stdout.partition("PROBLEMS (")
        problems = [line for line in listed.splitlines()[1:] if line.strip()]
        assert all("(the next crawl repairs it" in line for line in problems), f"kills at {moments}:\n{verify.stdout}"

        final = run_cli("crawl", *FEEDS, "--config", str(config), "--data", str(data))
        assert final.returncode == 0, final.stdout + final.stderr
        # The kills landed mid-crawl, not only before start-up or after the end.
        assert killed_mid_write or "crashed files repaired" in final.stdout, moments

        verify = run_cli("verify", "--data", str(data), "--config", str(config))
        assert verify.returncode == 0, f"kills at {moments}:\n{verify.stdout}{verify.stderr}"
        # Every post in the index points at a readable record.
        store = SqlIndexStore(sqlite_index(data))
        try:
            reader = ArchiveReader(data / "warc")
            posts = store.posts()
            assert posts
            for post in posts:
                assert post.captures, f"{post.url} has no capture"
                for ref in post.captures:
                    record = reader.read(ref["warc_file"], ref["offset"], ref["length"])
                    assert record.rec_type in ("response", "revisit", "resource")
        finally:
            store.close()

        rows = seen(data, web)
        assert not [row for row, n in Counter(rows).items() if n > 1], "a URL stored twice for one source"
        store = SqlIndexStore(sqlite_index(data))
        try:
            hashes = [p.content_hash for p in store.posts()]
        finally:
            store.close()
        assert len(set(hashes)) == len(hashes), "one content hash, two posts"
        # The same posts at the same pages as the undisturbed session crawl of the same sources.
        assert set(rows) == set(seen(crawl.data, crawl.web))


WORKER_SCRIPT = """
import asyncio, os, sys, time
from crawler.workers import CpuPool
pool = CpuPool(1)
print(asyncio.run(pool.run(os.getpid)), flush=True)
time.sleep(60)
"""


def test_extraction_workers_exit_when_their_crawl_is_killed() -> None:
    with subprocess.Popen([sys.executable, "-c", WORKER_SCRIPT], cwd=ROOT, stdout=subprocess.PIPE,
                          text=True) as proc:
        assert proc.stdout is not None
        worker = int(proc.stdout.readline())
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and Path(f"/proc/{worker}").exists():
        time.sleep(0.1)
    assert not Path(f"/proc/{worker}").exists(), "an orphaned extraction worker outlived its crawl"

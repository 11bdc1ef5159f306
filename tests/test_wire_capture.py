"""Capture at the wire on a small probe crawl: cut and dropped bodies, then replay in pywb.

The probe fetches one article, the same picture at two URLs, and three broken bodies, with a small
DOWNLOAD_MAXSIZE, through the project's real settings (`scrapy runspider` from the project).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.archive.cdxj import read_cdxj
from crawler.archive.warc import REVISIT_IDENTICAL_PAYLOAD
from crawler.demoweb import DemoWeb
from crawler.demoweb.catalog import BROKEN_LINKS
from tests.conftest import ROOT, free_port, replay_tool, stop, wait_for_port

pytestmark = pytest.mark.crawl

LIMIT = 100_000
ARTICLE = "cyol:/content/2026-11/20/content_38211457.htm"
PICTURE = "img:/cyol/2026-11/20/fc1a994e53f4b853.png"  # the same picture re-hosted by the aggregator:
REHOSTED = "img:/qupost/img/2026/11/20/b91b786fa3153ef0b95a7f925c6ed286.png"
REFERERS = {PICTURE: ARTICLE, REHOSTED: "qutoutiao:/detail/2026/11/20/1782034561.html"}


@dataclass
class Probe:
    data: Path
    outcomes: dict[str, dict[str, Any]]
    records: list[Any]
    web: DemoWeb

    def url(self, ref: str) -> str:
        return self.web.ref_url(ref)

    def find(self, ref: str, rec_type: str | None = None) -> list[Any]:
        url = self.url(ref)
        return [r for r in self.records if r.rec_headers.get_header("WARC-Target-URI") == url
                and r.rec_type != "request" and (rec_type is None or r.rec_type == rec_type)]


@pytest.fixture(scope="module")
def probe(demo_web: DemoWeb, tmp_path_factory: pytest.TempPathFactory) -> Probe:
    data = tmp_path_factory.mktemp("probe")
    refs = [ARTICLE, PICTURE, REHOSTED, BROKEN_LINKS["huge"], BROKEN_LINKS["huge-declared"], BROKEN_LINKS["dropped"]]
    urls = [demo_web.ref_url(ref) + (f"|{demo_web.ref_url(REFERERS[ref])}" if ref in REFERERS else "")
            for ref in refs]
    out = data / "outcomes.json"
    # One request at a time: the picture is archived in full before its re-hosted copy arrives.
    run = subprocess.run(
        [sys.executable, "-m", "scrapy", "runspider", str(ROOT / "tests" / "probe_spider.py"),
         "-a", "urls=" + ",".join(urls), "-a", f"out={out}", "-s", f"FEEDARCHIVER_DATA={data}",
         "-s", f"DOWNLOAD_MAXSIZE={LIMIT}",
         "-s", "SSRF_ALLOW_HOSTS=" + ",".join(demo_web.allow_hosts),
         "-s", "RETRY_TIMES=1", "-s", "CONCURRENT_REQUESTS=1",
         "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=INFO"],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    records = []
    for path in sorted((data / "warc").glob("*.warc.gz")):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                record.raw = record.raw_stream.read()
                records.append(record)
    return Probe(data, json.loads(out.read_text(encoding="utf-8")), records, demo_web)


def test_body_cut_at_download_maxsize_is_kept_as_truncated(probe: Probe) -> None:
    (record,) = probe.find(BROKEN_LINKS["huge"])
    assert record.rec_type == "response"
    assert record.rec_headers.get_header("WARC-Truncated") == "length"
    assert LIMIT < len(record.raw) < LIMIT + 70_000  # what arrived up to the chunk that crossed the limit
    assert record.http_headers.get_header("X-Orig-Transfer-Encoding") == "chunked"
    assert record.http_headers.get_header("Content-Length") == str(len(record.raw))
    page = urllib.request.urlopen(probe.url(BROKEN_LINKS["huge"]), timeout=10).read()
    assert page.startswith(record.raw)  # a prefix of the real body, nothing made up
    outcome = probe.outcomes[probe.url(BROKEN_LINKS["huge"])]
    assert outcome["error"] == "IncompleteResponse" and outcome["reason"] == "length"


def test_body_announced_too_large_keeps_its_headers(probe: Probe) -> None:
    (record,) = probe.find(BROKEN_LINKS["huge-declared"])
    assert record.rec_headers.get_header("WARC-Truncated") == "length"
    assert record.raw == b""  # Scrapy refuses such a body before the first byte
    assert int(record.http_headers.get_header("X-Orig-Content-Length")) > LIMIT
    assert record.http_headers.get_header("Content-Length") == "0"
    assert probe.outcomes[probe.url(BROKEN_LINKS["huge-declared"])]["error"] == "IncompleteResponse"


def test_dropped_connection_is_kept_retried_then_failed(probe: Probe) -> None:
    attempts = probe.find(BROKEN_LINKS["dropped"])
    assert len(attempts) == 2  # RETRY_TIMES=1: the first try and one retry, both archived
    for record in attempts:
        assert record.rec_type == "response"  # a truncated body never becomes the target of a revisit
        assert record.rec_headers.get_header("WARC-Truncated") == "disconnect"
        assert len(record.raw) == 5_000
        assert record.http_headers.get_header("X-Orig-Content-Length") == "20000"
    outcome = probe.outcomes[probe.url(BROKEN_LINKS["dropped"])]
    assert outcome["error"] == "IncompleteResponse" and outcome["reason"] == "disconnect"


def test_picture_at_a_second_url_is_a_revisit(probe: Probe) -> None:
    (original,) = probe.find(PICTURE, "response")
    (revisit,) = probe.find(REHOSTED, "revisit")
    assert revisit.rec_headers.get_header("WARC-Profile") == REVISIT_IDENTICAL_PAYLOAD
    assert revisit.rec_headers.get_header("WARC-Refers-To") == original.rec_headers.get_header("WARC-Record-ID")
    assert revisit.rec_headers.get_header("WARC-Refers-To-Target-URI") == probe.url(PICTURE)
    assert probe.outcomes[probe.url(REHOSTED)]["status"] == 200  # to the crawler it is a normal answer


def test_pywb_replays_the_page_and_pictures_byte_for_byte(probe: Probe, tmp_path: Path) -> None:
    collection = tmp_path / "collections" / "feeds"
    (collection / "archive").mkdir(parents=True)
    (collection / "indexes").mkdir()
    for path in (probe.data / "warc").glob("*.warc.gz"):
        shutil.copy(path, collection / "archive")
    lines = sorted(line for cdxj in (probe.data / "indexes").glob("*.cdxj")
                   for line in cdxj.read_text(encoding="utf-8").splitlines())
    (collection / "indexes" / "index.cdxj").write_text("\n".join(lines) + "\n", encoding="utf-8")
    timestamps = {line.url: line.timestamp for cdxj in (probe.data / "indexes").glob("*.cdxj")
                  for line in read_cdxj(cdxj)}
    port = free_port()
    server = subprocess.Popen([replay_tool("wayback"), "-p", str(port), "-b", "127.0.0.1"], cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, server)
        (original,) = probe.find(PICTURE, "response")
        for ref, archived in ((ARTICLE, probe.find(ARTICLE, "response")[0].raw), (PICTURE, original.raw),
                              (REHOSTED, original.raw)):
            url = probe.url(ref)
            replay = f"http://127.0.0.1:{port}/feeds/{timestamps[url]}id_/{url}"
            with urllib.request.urlopen(replay, timeout=30) as answer:
                assert answer.status == 200
                assert answer.read() == archived, f"{url} replays differently from its archived payload"
        assert original.raw.startswith(b"\x89PNG")
    finally:
        stop(server)

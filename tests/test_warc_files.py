"""The WARC files one crawl leaves: valid, faithful to the wire, one gzip member per record."""

from __future__ import annotations

import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.conftest import Crawl

pytestmark = pytest.mark.crawl


def records(path: Path) -> list[Any]:
    with open(path, "rb") as fh:
        out = []
        for record in ArchiveIterator(fh):
            record.raw = record.raw_stream.read()  # the payload as stored (content-encoded)
            out.append(record)
        return out


def gzip_members(path: Path) -> int:
    data = path.read_bytes()
    count = 0
    while data:
        decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
        decompressor.decompress(data)
        assert decompressor.eof, "truncated gzip member"
        data = decompressor.unused_data
        count += 1
    return count


def test_files_are_finished_and_pass_warcio_check(crawl: Crawl) -> None:
    assert crawl.warcs(), "the crawl wrote no WARC"
    assert not list((crawl.data / "warc").glob("*.open"))
    for path in crawl.warcs():
        check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", str(path)],
                               capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stdout + check.stderr


def test_warcinfo_first_then_adjacent_response_request_pairs(crawl: Crawl) -> None:
    for path in crawl.warcs():
        recs = records(path)
        assert recs[0].rec_type == "warcinfo"
        info = recs[0].raw.decode()
        assert "software: feedarchiver/" in info and "robots: obey" in info
        assert gzip_members(path) == len(recs)
        rest = recs[1:]
        assert len(rest) % 2 == 0
        for response, request in zip(rest[::2], rest[1::2], strict=True):
            assert response.rec_type == "response" and request.rec_type == "request"
            rh, qh = response.rec_headers, request.rec_headers
            assert qh.get_header("WARC-Concurrent-To") == rh.get_header("WARC-Record-ID")
            assert rh.get_header("WARC-Target-URI") == qh.get_header("WARC-Target-URI")
            assert rh.get_header("WARC-IP-Address") == "127.0.0.1"
            assert "." in rh.get_header("WARC-Date")  # microseconds (WARC/1.1)
            assert rh.get_header("WARC-Payload-Digest").startswith("sha1:")
            assert response.http_headers.get_header("Transfer-Encoding") is None


def _find(crawl: Crawl, url: str) -> tuple[Any, Any]:
    for path in crawl.warcs():
        recs = records(path)[1:]
        for response, request in zip(recs[::2], recs[1::2], strict=True):
            if response.rec_headers.get_header("WARC-Target-URI").split("?", 1)[0] == url:
                return response, request
    raise AssertionError(f"{url} is not in the WARCs")


def test_gzip_response_is_archived_as_sent(crawl: Crawl) -> None:
    response, request = _find(crawl, crawl.web.ref_url("qutoutiao:/rss/tech.xml"))
    assert response.http_headers.get_header("Content-Encoding") == "gzip"
    assert response.raw[:2] == b"\x1f\x8b"  # the payload as stored, still content-encoded
    assert b"<rss" in zlib.decompress(response.raw, zlib.MAX_WBITS | 16)
    assert request.http_headers.get_header("Accept-Encoding") == "gzip, deflate"


def test_request_records_keep_query_and_host(crawl: Crawl) -> None:
    for path in crawl.warcs():
        for record in records(path):
            if record.rec_type != "request":
                continue
            url = record.rec_headers.get_header("WARC-Target-URI")
            line = record.http_headers.statusline
            assert record.http_headers.protocol in ("GET", "POST")
            assert line.endswith(" HTTP/1.1")
            if "?" in url:
                assert "?" + url.split("?", 1)[1] in line
            assert record.http_headers.get_header("Host") == url.split("/")[2]


def test_not_found_and_redirect_exchanges_are_archived(crawl: Crawl) -> None:
    from crawler.demoweb.catalog import BROKEN_LINKS

    response, _ = _find(crawl, crawl.web.ref_url(BROKEN_LINKS["not-found"]))
    assert response.http_headers.statusline == "404 Not Found"
    response, _ = _find(crawl, crawl.web.ref_url(BROKEN_LINKS["redirect"]))
    assert response.http_headers.statusline.startswith("301")
    assert response.http_headers.get_header("Location")

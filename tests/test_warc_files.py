"""The WARC files the session crawls leave: valid, faithful to the wire, deduplicated across runs."""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.archive.warc import REVISIT_IDENTICAL_PAYLOAD, REVISIT_NOT_MODIFIED
from crawler.demoweb import STORIES
from crawler.demoweb.catalog import BROKEN_LINKS, FEEDS
from tests.conftest import Crawl, bare

pytestmark = pytest.mark.crawl


def records(path: Path) -> list[Any]:
    with open(path, "rb") as fh:
        out = []
        for record in ArchiveIterator(fh):
            record.raw = record.raw_stream.read()  # the payload as stored (content-encoded)
            out.append(record)
        return out


def all_records(paths: list[Path]) -> list[Any]:
    return [record for path in paths for record in records(path)]


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


def new_warcs(recrawl: Crawl, crawl: Crawl) -> list[Path]:
    """The files the second crawl wrote (its data directory started as a copy of the first's)."""
    first = {p.name for p in crawl.warcs()}
    return [p for p in recrawl.warcs() if p.name not in first]


def header(record: Any, name: str) -> str:
    return str(record.rec_headers.get_header(name) or "")


def test_files_are_finished_and_pass_warcio_check(crawl: Crawl, recrawl: Crawl) -> None:
    assert crawl.warcs(), "the crawl wrote no WARC"
    for data in (crawl, recrawl):
        assert not list((data.data / "warc").glob("*.open"))
        for path in data.warcs():
            check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", str(path)],
                                   capture_output=True, text=True, check=False)
            assert check.returncode == 0, check.stdout + check.stderr


def test_file_names_are_heritrix_style(crawl: Crawl) -> None:
    assert crawl.warcs(), "the crawl wrote no WARC"
    for path in crawl.warcs():
        assert re.fullmatch(r"feedarchiver-\d{17}-\d{5}-\d+~[A-Za-z0-9._]+\.warc\.gz", path.name), path.name
        assert records(path)[0].rec_headers.get_header("WARC-Filename") == path.name


def test_warcinfo_first_then_adjacent_pairs_and_context_records(crawl: Crawl, recrawl: Crawl) -> None:
    assert crawl.warcs() and new_warcs(recrawl, crawl), "a crawl wrote no WARC"
    for path in crawl.warcs() + new_warcs(recrawl, crawl):
        recs = records(path)
        assert recs[0].rec_type == "warcinfo"
        info = recs[0].raw.decode()
        for field in ("software: feedarchiver/", "robots: obey", "accept-encoding-policy: gzip, deflate",
                      "format: WARC File Format 1.1", "dedupe-policy: identical-payload-digest"):
            assert field in info
        assert gzip_members(path) == len(recs)
        assert all(r.rec_headers.protocol == "WARC/1.1" for r in recs)
        rest = iter(recs[1:])
        for record in rest:
            assert record.rec_type in ("response", "revisit", "metadata", "resource"), record.rec_type
            if record.rec_type in ("metadata", "resource"):  # context, and DOMs rendered by a browser
                continue
            request = next(rest)  # the request right after its response
            assert request.rec_type == "request"
            assert header(request, "WARC-Concurrent-To") == header(record, "WARC-Record-ID")
            assert header(record, "WARC-Target-URI") == header(request, "WARC-Target-URI")
            # A body refused for its announced size was never read: the handler reports no peer address.
            if not (header(record, "WARC-Truncated") and record.raw == b""):
                assert header(record, "WARC-IP-Address") == "127.0.0.1"
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", header(record, "WARC-Date"))
            assert header(record, "WARC-Payload-Digest").startswith("sha1:")
            assert header(record, "WARC-Block-Digest").startswith("sha1:")
            assert record.http_headers.get_header("Transfer-Encoding") is None


def test_payload_digest_is_sha1_base32_of_the_body_as_stored(crawl: Crawl) -> None:
    responses = [r for r in all_records(crawl.warcs()) if r.rec_type == "response"]
    assert responses
    for record in responses:
        expected = "sha1:" + base64.b32encode(hashlib.sha1(record.raw).digest()).decode()
        assert header(record, "WARC-Payload-Digest") == expected
        assert record.http_headers.get_header("Content-Length") == str(len(record.raw))


def _find(crawl: Crawl, url: str, types: tuple[str, ...] = ("response",)) -> tuple[Any, Any]:
    recs = [r for r in all_records(crawl.warcs()) if r.rec_type not in ("metadata", "resource", "warcinfo")]
    for first, second in itertools.pairwise(recs):
        if first.rec_type in types and bare(header(first, "WARC-Target-URI")) == url:
            return first, second
    raise AssertionError(f"no {types} record of {url} in the WARCs")


def test_gzip_response_is_archived_as_sent(crawl: Crawl) -> None:
    response, request = _find(crawl, crawl.web.ref_url("qutoutiao:/rss/tech.xml"))
    assert response.http_headers.get_header("Content-Encoding") == "gzip"
    assert response.raw[:2] == b"\x1f\x8b"  # the payload as stored, still content-encoded
    assert b"<rss" in zlib.decompress(response.raw, zlib.MAX_WBITS | 16)
    assert request.http_headers.get_header("Accept-Encoding") == "gzip, deflate"


def test_chunked_feed_is_stored_dechunked_and_the_repair_counted(crawl: Crawl) -> None:
    response, _ = _find(crawl, crawl.web.ref_url(FEEDS["zaker-news"]))
    assert response.http_headers.get_header("X-Orig-Transfer-Encoding") == "chunked"
    assert response.http_headers.get_header("Content-Length") == str(len(response.raw))
    assert response.raw.lstrip().startswith(b"<?xml")  # no chunk-size lines left in the body
    assert re.search(r"header repairs: [^;]*transfer-encoding \d+", crawl.output), crawl.output


def test_repeated_headers_stay_separate_lines(crawl: Crawl) -> None:
    response, _ = _find(crawl, crawl.web.ref_url(FEEDS["zaker-news"]))
    cookies = [value for name, value in response.http_headers.headers if name.lower() == "set-cookie"]
    assert len(cookies) == 2 and cookies[0].startswith("zaker_uid=") and cookies[1].startswith("Hm_lvt_zaker=")


def test_status_lines_carry_reason_phrases(crawl: Crawl) -> None:
    response, _ = _find(crawl, crawl.web.ref_url(BROKEN_LINKS["not-found"]))
    assert response.http_headers.statusline == "404 Not Found"
    assert response.http_headers.protocol == "HTTP/1.1"
    response, _ = _find(crawl, crawl.web.ref_url(BROKEN_LINKS["redirect"]))
    assert response.http_headers.statusline == "301 Moved Permanently"
    assert response.http_headers.get_header("Location")
    response, _ = _find(crawl, crawl.web.ref_url(FEEDS["cyol"]))
    assert response.http_headers.statusline == "200 OK"


def test_request_records_keep_query_and_host(crawl: Crawl) -> None:
    with_query = 0
    for record in all_records(crawl.warcs()):
        if record.rec_type != "request":
            continue
        url = header(record, "WARC-Target-URI")
        line = record.http_headers.statusline
        assert record.http_headers.protocol in ("GET", "POST")
        assert line.endswith(" HTTP/1.1")
        if "?" in url:
            with_query += 1
            assert "?" + url.split("?", 1)[1] in line
        assert record.http_headers.get_header("Host") == url.split("/")[2]
    assert with_query, "the demo feeds add tracking queries to their links"


def _check_revisits(revisits: list[Any], by_id: dict[str, Any]) -> None:
    for revisit in revisits:
        original = by_id[header(revisit, "WARC-Refers-To")]
        assert original.rec_type == "response", "a revisit never refers to a revisit"
        assert header(revisit, "WARC-Payload-Digest") == header(original, "WARC-Payload-Digest")
        assert header(revisit, "WARC-Refers-To-Target-URI") == header(original, "WARC-Target-URI")
        assert header(revisit, "WARC-Refers-To-Date") == header(original, "WARC-Date")
        assert revisit.raw == b"" and revisit.http_headers is not None


def test_same_payload_at_another_url_is_a_revisit(crawl: Crawl) -> None:
    recs = all_records(crawl.warcs())
    by_id = {header(r, "WARC-Record-ID"): r for r in recs}
    revisits = [r for r in recs if r.rec_type == "revisit"]
    assert all(header(r, "WARC-Profile") == REVISIT_IDENTICAL_PAYLOAD for r in revisits)
    _check_revisits(revisits, by_id)
    # Every demo host serves the same robots.txt: stored once, the other hosts' copies are revisits.
    robots = [r for r in revisits if header(r, "WARC-Target-URI").endswith("/robots.txt")]
    assert any(header(r, "WARC-Refers-To-Target-URI") != header(r, "WARC-Target-URI") for r in robots)


def test_recrawl_asks_feeds_conditionally_and_stores_no_payload_twice(crawl: Crawl, recrawl: Crawl) -> None:
    first, second = all_records(crawl.warcs()), all_records(new_warcs(recrawl, crawl))
    by_id = {header(r, "WARC-Record-ID"): r for r in first + second}
    not_modified = [r for r in second if header(r, "WARC-Profile") == REVISIT_NOT_MODIFIED]
    assert {bare(header(r, "WARC-Target-URI")) for r in not_modified} == {crawl.web.ref_url(f) for f in FEEDS.values()}
    for revisit in not_modified:
        assert revisit.http_headers.statusline == "304 Not Modified"
    _check_revisits([r for r in second if r.rec_type == "revisit"], by_id)
    conditional = [e for e in crawl.web.requests if e.status == 304 and "if-none-match" in e.headers]
    assert {e.path for e in conditional} >= {"/rss/tech.xml", "/feed.atom", "/feed.json"}
    # The story pages were fetched again (the archived feed copies were followed) and are revisits.
    story_pages = {crawl.web.ref_url(ref) for story in STORIES for ref in story.pages}
    pages = [r for r in second if r.rec_type in ("response", "revisit")
             and bare(header(r, "WARC-Target-URI")) in story_pages and r.http_headers.get_statuscode() == "200"]
    assert len(pages) > 10 and all(r.rec_type == "revisit" for r in pages)
    stored = [(header(r, "WARC-Payload-Digest"), header(r, "WARC-Target-URI"), header(r, "WARC-Truncated"))
              for r in first + second if r.rec_type == "response" and r.raw]  # an empty body is not worth a revisit
    twice = [s for s in stored if [d for d, _, _ in stored].count(s[0]) > 1]
    assert not twice, f"payloads stored in full twice: {twice}"
    assert f"not-modified {len(FEEDS)}" in recrawl.output and "identical-payload" in recrawl.output


def test_metadata_records_tie_captures_to_posts(crawl: Crawl) -> None:
    recs = all_records(crawl.warcs())
    metadata = [r for r in recs if r.rec_type == "metadata"]
    by_capture = {header(r, "WARC-Concurrent-To"): r for r in metadata}
    assert all(header(r, "Content-Type") == "application/warc-fields" for r in metadata)
    for post in crawl.posts():
        linked = [by_capture[ref["record_id"]] for ref in post.captures if ref["record_id"] in by_capture]
        assert linked, f"no metadata record for {post.url}"
        for record in linked:
            fields = dict(line.split(": ", 1) for line in record.raw.decode().splitlines())
            assert fields["source"] in post.sources
            assert fields["post-content-hash"] == post.content_hash
            assert fields["post-title"] == post.title
            entry_ids = {u.feed_entry_id for u in post.urls}
            assert fields["feed-entry-id"] in entry_ids
            assert fields["post-role"] in ("copy", "original")


def test_browser_rendered_list_is_a_resource_record(crawl: Crawl) -> None:
    from crawler.demoweb.catalog import START_PAGES

    url = crawl.web.ref_url(START_PAGES["cyol-app"])
    recs = all_records(crawl.warcs())
    doms = [r for r in recs if r.rec_type == "resource" and header(r, "WARC-Target-URI") == f"urn:dom:{url}"]
    assert doms, "the rendered list is archived as a DOM"
    for record in doms:
        assert header(record, "Content-Type").startswith("text/html")
        assert b"<li" in record.raw  # what JavaScript drew: absent from the page the server sent
    assert not [r for r in recs if r.rec_type == "response" and header(r, "WARC-Target-URI") == url]

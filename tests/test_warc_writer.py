"""WarcFileWriter and the `.open` repair on their own, and the capture extension's record paths on
synthetic responses (a rendered DOM, a 304 nobody asked for)."""

from __future__ import annotations

import fcntl
import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders

from crawler.archive.warc import (
    DAMAGED_SUFFIX,
    OPEN_SUFFIX,
    WarcFileWriter,
    repair_open_file,
    repair_open_files,
    scan_complete_records,
    warc_file_name,
)
from crawler.extensions.warc_capture import WarcCaptureExtension, WarcConfig, repair_headers
from crawler.meta import RENDERED_DOM


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def exchange(writer: WarcFileWriter, n: int, size: int = 2000) -> None:
    body = (f"<html><p>page {n}</p>" + os.urandom(size // 2).hex()).encode()  # incompressible enough
    writer.write_exchange(
        url=f"http://127.0.0.1:9/p/{n}?q=1",
        request_headers=StatusAndHeaders(f"GET /p/{n}?q=1 HTTP/1.1", [("Host", "127.0.0.1:9")], is_http_request=True),
        request_body=b"",
        response_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html"),
                                                     ("Content-Length", str(len(body)))], protocol="HTTP/1.1"),
        response_body=body,
    )


def ids(path: Path) -> list[str]:
    with open(path, "rb") as fh:
        return [r.rec_headers.get_header("WARC-Record-ID") for r in ArchiveIterator(fh)]


def warcio_check(path: Path) -> None:
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(path)], capture_output=True,
                           text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr


def writer(tmp_path: Path, **kwargs: Any) -> WarcFileWriter:
    defaults: dict[str, Any] = {"prefix": "test", "max_size": 1_000_000, "info": {"software": "test"}}
    return WarcFileWriter(tmp_path, **{**defaults, **kwargs})


def test_names_are_heritrix_style_and_unique(tmp_path: Path) -> None:
    name = warc_file_name("feedarchiver", 7, host="crawl-box.example", pid=4242)
    assert re.fullmatch(r"feedarchiver-\d{17}-00007-4242~crawl_box\.example\.warc\.gz", name)
    one, two = writer(tmp_path), writer(tmp_path)
    exchange(one, 1)
    exchange(two, 2)  # two writers in one process (one per spider kind) never collide
    assert one.current_name != two.current_name
    one.close()
    two.close()


def test_rolls_over_by_size(tmp_path: Path) -> None:
    finished: list[Path] = []
    w = writer(tmp_path, max_size=6000, on_finish=finished.append)
    for n in range(6):
        exchange(w, n, size=4000)
    w.close()
    assert len(finished) >= 3 and finished == w.finished
    assert not list(tmp_path.glob(f"*{OPEN_SUFFIX}"))
    for path in finished:
        warcio_check(path)
        assert ids(path)  # each file opens with its own warcinfo
        with open(path, "rb") as fh:
            assert next(iter(ArchiveIterator(fh))).rec_type == "warcinfo"


def test_rolls_over_after_idle_time(tmp_path: Path) -> None:
    clock = Clock()
    finished: list[Path] = []
    w = writer(tmp_path, idle_timeout=300, clock=clock, on_finish=finished.append)
    exchange(w, 1)
    clock.now += 299
    assert not w.close_if_idle() and w.is_open
    exchange(w, 2)  # a write restarts the idle time
    clock.now += 299
    assert not w.close_if_idle()
    clock.now += 2
    assert w.close_if_idle() and not w.is_open
    assert len(finished) == 1 and not list(tmp_path.glob(f"*{OPEN_SUFFIX}"))
    exchange(w, 3)  # the next record opens the next file
    w.close()
    assert len(finished) == 2 and finished[0] != finished[1]
    warcio_check(finished[0])


def test_repair_cuts_a_torn_record_and_keeps_everything_before(tmp_path: Path) -> None:
    w = writer(tmp_path)
    for n in range(4):
        exchange(w, n)
    open_path = tmp_path / (w.current_name + OPEN_SUFFIX)
    complete = open_path.read_bytes()
    assert w._fh is not None
    w._fh.close()  # the process dies: no rename, and its lock goes with its file descriptor
    w._fh = None
    good_ids = ids_of_bytes(complete)
    torn = complete + complete[len(complete) // 3: len(complete) // 2]  # half a gzip member
    open_path.write_bytes(torn)
    (result,) = repair_open_files(tmp_path)
    assert result.path == tmp_path / w.current_name and result.records == len(good_ids)
    assert result.cut_bytes == len(torn) - len(complete)
    assert result.path.read_bytes() == complete
    warcio_check(result.path)
    assert not open_path.exists()


def ids_of_bytes(data: bytes) -> list[str]:
    return [r.rec_headers.get_header("WARC-Record-ID") for r in ArchiveIterator(io.BytesIO(data))]


def test_repair_sets_aside_a_file_without_one_complete_record(tmp_path: Path) -> None:
    path = tmp_path / ("test-20261128000000000-00000-h.warc.gz" + OPEN_SUFFIX)
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    result = repair_open_file(path)
    assert result is not None and result.damaged and result.records == 0
    assert result.path.name.endswith(DAMAGED_SUFFIX) and not path.exists()


def test_repair_leaves_a_file_that_a_writer_holds(tmp_path: Path) -> None:
    w = writer(tmp_path)
    exchange(w, 1)
    assert repair_open_files(tmp_path) == []  # flock held by the live writer
    assert (tmp_path / (w.current_name + OPEN_SUFFIX)).exists()
    w.close()


def test_a_corrupt_record_ends_the_kept_part(tmp_path: Path) -> None:
    w = writer(tmp_path)
    for n in range(3):
        exchange(w, n)
    w.close()
    data = bytearray(w.finished[0].read_bytes())
    with open(w.finished[0], "rb") as fh:
        records, end = scan_complete_records(fh)
    assert records == 7 and end == len(data)  # warcinfo + 3 pairs
    data[len(data) - 40] ^= 0xFF  # damage the last member's deflate stream
    with open(tmp_path / "damaged.warc.gz", "wb") as fh:
        fh.write(data)
    with open(tmp_path / "damaged.warc.gz", "rb") as fh:
        assert scan_complete_records(fh)[0] == 6


def test_lock_is_exclusive_while_writing(tmp_path: Path) -> None:
    w = writer(tmp_path)
    exchange(w, 1)
    with open(tmp_path / (w.current_name + OPEN_SUFFIX), "rb") as fh, pytest.raises(BlockingIOError):
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    w.close()


# -- the capture extension on synthetic responses ----------------------------------------------------


def extension(tmp_path: Path) -> tuple[WarcCaptureExtension, Spider]:
    crawler = get_crawler(Spider)
    config = WarcConfig(directory=tmp_path, prefix="test", max_size=1_000_000, operator="", robots="obey",
                        user_agent="test")
    return WarcCaptureExtension(config, crawler.stats), Spider("synthetic")


def test_rendered_dom_is_a_resource_record_not_a_response(tmp_path: Path) -> None:
    ext, spider = extension(tmp_path)
    url = "http://127.0.0.1:9/js-list/"
    dom = "<html><body><ul><li>渲染后的列表</li></ul></body></html>".encode()
    request = Request(url, meta={"playwright": True})
    response = HtmlResponse(url, body=dom, encoding="utf-8", request=request, flags=[RENDERED_DOM])
    ext.response_downloaded(response, request, spider)
    ext.writer.close()
    (path,) = ext.writer.finished
    with open(path, "rb") as fh:
        recs = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.rec_headers.get_header("Content-Type"),
                 r.content_stream().read()) for r in ArchiveIterator(fh)]
    assert recs[1:] == [("resource", f"urn:dom:{url}", "text/html; charset=utf-8", dom)]
    (ref,) = request.meta["warc_refs"]
    assert ref["url"] == f"urn:dom:{url}"
    warcio_check(path)


def test_unrequested_304_is_kept_as_a_response(tmp_path: Path) -> None:
    ext, spider = extension(tmp_path)
    url = "http://127.0.0.1:9/feed.xml"
    request = Request(url)
    ext.response_downloaded(Response(url, status=304, headers={"ETag": '"x"'}, request=request), request, spider)
    ext.writer.close()
    with open(ext.writer.finished[0], "rb") as fh:
        response = next(r for r in ArchiveIterator(fh) if r.rec_type == "response")
    assert response.http_headers.statusline == "304 Not Modified"
    assert response.http_headers.get_header("Content-Length") is None  # a 304 has no body to measure


def test_no_content_length_is_invented_for_bodiless_answers() -> None:
    assert repair_headers([("ETag", '"x"')], b"", 304) == ([("ETag", '"x"')], [])
    assert repair_headers([], b"", 200) == ([("Content-Length", "0")], [])

"""A decompression bomb kept in the archive stays small in every reader of it: indexing writes its CDXJ
line without inflating it, and reading its payload back inflates at most the configured limit."""

from __future__ import annotations

import resource
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders

from crawler.archive.cdxj import read_cdxj, write_cdxj
from crawler.archive.reader import ArchiveReader
from crawler.archive.warc import INFLATE_LIMIT, WarcFileWriter
from crawler.demoweb import DemoWeb
from crawler.demoweb.hostile import HOSTILE_BOMBS
from crawler.index import SqlIndexStore
from tests.conftest import run_cli, sqlite_index

EXPANDED = 256 * 1024 * 1024  # what the stored body inflates to: eight times the limit


def gzip_bomb(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(1 << 22)
    return b"".join(packer.compress(chunk) for _ in range(size // len(chunk))) + packer.flush()


@pytest.fixture(scope="module")
def bomb_warc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    body = gzip_bomb(EXPANDED)
    assert len(body) < EXPANDED // 500
    writer = WarcFileWriter(tmp_path_factory.mktemp("warc"), prefix="bomb", max_size=10 ** 9, info={"software": "t"})
    writer.write_exchange(
        url="http://127.0.0.1:9/bomb",
        request_headers=StatusAndHeaders("GET /bomb HTTP/1.1", [("Host", "127.0.0.1:9")], is_http_request=True),
        request_body=b"",
        response_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html"), ("Content-Encoding", "gzip"),
                                                     ("Content-Length", str(len(body)))], protocol="HTTP/1.1"),
        response_body=body)
    writer.close()
    (path,) = writer.finished
    return Path(path)


def test_reading_a_stored_bomb_back_inflates_at_most_the_limit(bomb_warc: Path) -> None:
    record = ArchiveReader(bomb_warc.parent).read(bomb_warc.name, _response_offset(bomb_warc), 0)
    content = record.content()
    assert len(content) == INFLATE_LIMIT and not content.strip(b"\0")
    assert len(record.content(limit=1000)) == 1000


def test_indexing_a_stored_bomb_does_not_inflate_it(bomb_warc: Path, tmp_path: Path) -> None:
    # The indexer runs in a child process, which inherits this limit: it used to copy the inflated
    # payload into a temporary file, and would now be killed (SIGXFSZ) writing past 64 MiB.
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024 * 1024, hard))
    try:
        cdxj = write_cdxj(bomb_warc, tmp_path)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    (line,) = [entry for entry in read_cdxj(cdxj) if entry.url == "http://127.0.0.1:9/bomb"]
    assert line.offset == _response_offset(bomb_warc) and line.fields["status"] == "200"


def _response_offset(path: Path) -> int:
    from crawler.archive.warc import iter_records

    with open(path, "rb") as fh:
        return next(offset for offset, _, record in iter_records(fh, check_digests=False)
                    if record.rec_type == "response")



@pytest.fixture(scope="module")
def demo_web() -> Iterator[DemoWeb]:
    """A demo web of this module's own: the hostile tests count who asked the session's broken host."""
    with DemoWeb(base_port=0) as web:
        yield web


BOMB_SOURCE = """
[sources.bombs]
kind = "feed"
title = "Bombs"
urls = ["{feed_bomb}", "{bombs}"]
follow_original = false
"""


def test_a_crawl_of_bombs_ends_counts_each_and_keeps_the_calm_page(demo_web: DemoWeb, tmp_path: Path) -> None:
    """A feed that is a gzip bomb, pages that are gzip and deflate bombs, a picture that is one, a page that
    never ends: each cut at DOWNLOAD_MAXSIZE and counted, memory bounded, the rest archived as ever."""
    config = tmp_path / "sources.toml"
    bombs = BOMB_SOURCE.format(feed_bomb=demo_web.ref_url(HOSTILE_BOMBS[0]), bombs=demo_web.ref_url(HOSTILE_BOMBS[1]))
    config.write_text(demo_web.sources_toml().replace("[settings]\n", bombs + "\n[settings]\n", 1), encoding="utf-8")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    crawl = run_cli("crawl", "bombs", "--config", str(config), "--data", str(tmp_path / "data"))
    assert crawl.returncode == 0, crawl.stdout + crawl.stderr
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    store = SqlIndexStore(sqlite_index(tmp_path / "data"))
    try:
        (run,) = store.recent_runs()["bombs"]
        posts = store.posts(source="bombs")
    finally:
        store.close()
    kinds = {key.removeprefix("error/"): value for key, value in run.details.items() if key.startswith("error/")}
    assert kinds.get("too_large", 0) >= 3, run.details  # the feed and both page bombs, each cut and counted
    assert kinds.get("truncated_length", 0) == 1, run.details  # the endless page, cut at DOWNLOAD_MAXSIZE
    assert run.details.get("images/failed/too_large") == 1, run.details  # the picture bomb
    titles = {post.title for post in posts}
    assert "A calm page among bombs" in titles and "A picture bomb" in titles  # stored without its picture
    # 64 MiB bombs, 32 MiB limit: no process of the crawl held several inflated copies.
    assert max(peak_kib, before) < 600 * 1024, peak_kib

"""A decompression bomb kept in the archive stays small in every reader of it: indexing writes its CDXJ
line without inflating it, and reading its payload back inflates at most the configured limit."""

from __future__ import annotations

import resource
import zlib
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders

from crawler.archive.cdxj import read_cdxj, write_cdxj
from crawler.archive.reader import ArchiveReader
from crawler.archive.warc import INFLATE_LIMIT, WarcFileWriter

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


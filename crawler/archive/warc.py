"""WARC/1.1 files: one gzip member per record, `.open` while written, Heritrix-style names, crash repair.

warcio builds and digests the records; this module owns the files: naming, the warcinfo record that
opens each one, rollover by size and by idle time, where each record landed (file, offset, length),
and cutting a file that a crash left `.open` back to its last complete record.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import io
import itertools
import logging
import os
import re
import socket
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.items import PayloadRecord, WarcRef

logger = logging.getLogger(__name__)

WARC_VERSION = "1.1"
OPEN_SUFFIX = ".open"
DAMAGED_SUFFIX = ".damaged"
REVISIT_IDENTICAL_PAYLOAD = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
REVISIT_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
_SERIALS = itertools.count()  # process-wide, so two writers in one process never pick the same name
_READ_SIZE = 1 << 20


def payload_digest(body: bytes) -> str:
    """The WARC-Payload-Digest the ecosystem expects: SHA-1, Base32."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def _host_field(host: str) -> str:
    # '-' separates the name's fields; keep the host one field.
    return re.sub(r"[^A-Za-z0-9.]+", "_", host) or "localhost"


def warc_file_name(prefix: str, serial: int, now: datetime | None = None, host: str | None = None,
                   pid: int | None = None) -> str:
    """PREFIX-YYYYMMDDHHMMSSmmm-SERIAL-PID~HOST.warc.gz, as Heritrix names its files: the process id
    keeps two crawlers on one box (or two boxes' uploads to one bucket) from ever sharing a name."""
    now = now or datetime.now(UTC)
    stamp = now.strftime("%Y%m%d%H%M%S") + f"{now.microsecond // 1000:03d}"
    return (f"{prefix}-{stamp}-{serial:05d}-{os.getpid() if pid is None else pid}~"
            f"{_host_field(host or socket.gethostname())}.warc.gz")


_NAME = re.compile(r".+-\d{17}-\d{5}-(?P<pid>\d+)~(?P<host>.+)\.warc\.gz")


def written_by_another_live_process(name: str) -> bool:
    """Whether the process that writes (or wrote) this WARC, by the PID and host in its name, is alive
    on this host and is not this process: its files are its own to finish, index and package."""
    match = _NAME.fullmatch(name)
    if match is None or match["host"] != _host_field(socket.gethostname()) or int(match["pid"]) == os.getpid():
        return False
    try:
        os.kill(int(match["pid"]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# What any reader inflates of one archived payload at most: DOWNLOAD_MAXSIZE's default (crawler/settings.py),
# past which a crawl would have cut the body anyway. A 10 MB gzip bomb of 10 GiB stays 32 MiB.
INFLATE_LIMIT = 32 * 1024 * 1024


@dataclass(frozen=True)
class Revisit:
    """Write a revisit of ``original`` (with ``profile``) instead of the payload."""

    profile: str
    original: PayloadRecord


class _GzipMember:
    """A file-like that deflates everything written to it into one gzip member, ended by ``close``."""

    def __init__(self, out: IO[bytes], level: int) -> None:
        self.out = out
        self.compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS | 16)

    def write(self, data: bytes) -> int:
        self.out.write(self.compressor.compress(data))
        return len(data)

    def flush(self) -> None:
        """warcio flushes after each record; the member is ended once, by ``close``."""

    def close(self) -> None:
        self.out.write(self.compressor.flush())


class WarcFileWriter:
    """Writes records to a rolling series of WARC files in ``directory``.

    A file rolls over past ``max_size`` bytes and after ``idle_timeout`` seconds without a record
    (0 disables that). ``on_finish`` is called with each finished file's path.
    """

    def __init__(self, directory: Path, *, prefix: str, max_size: int, info: dict[str, str],
                 idle_timeout: float = 0.0, gzip_level: int = 6,
                 on_finish: Callable[[Path], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.directory = directory
        self.prefix = prefix
        self.max_size = max_size
        self.info = info
        self.idle_timeout = idle_timeout
        self.gzip_level = gzip_level
        self.on_finish = on_finish
        self.clock = clock
        self._fh: io.BufferedWriter | None = None
        self._builder = WARCWriter(None, gzip=False, warc_version=WARC_VERSION)
        self._name = ""
        self._last_write = 0.0
        self.finished: list[Path] = []

    @property
    def current_name(self) -> str:
        return self._name

    @property
    def is_open(self) -> bool:
        return self._fh is not None

    def _open(self) -> io.BufferedWriter:
        if self._fh is not None:
            return self._fh
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            name = warc_file_name(self.prefix, next(_SERIALS))
            try:
                fh = open(self.directory / (name + OPEN_SUFFIX), "xb")  # noqa: SIM115 - closed in close()
                break
            except FileExistsError:  # another process, same millisecond and serial
                continue
        # Held while the file is written: repair at start leaves a locked `.open` file alone.
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._fh, self._name = fh, name
        self._write(self._builder.create_warcinfo_record(name, self.info))
        fh.flush()
        logger.info("Opened WARC %s", name)
        return fh

    def _write(self, record: Any) -> tuple[int, int]:
        """Write one record as one gzip member; returns its offset and length in the file."""
        assert self._fh is not None
        offset = self._fh.tell()
        member = _GzipMember(self._fh, self.gzip_level)
        WARCWriter(member, gzip=False, warc_version=WARC_VERSION).write_record(record)
        member.close()
        return offset, self._fh.tell() - offset

    def _ref(self, record: Any, url: str, offset: int, length: int) -> WarcRef:
        return WarcRef(warc_file=self._name, offset=offset, length=length,
                       record_id=record.rec_headers.get_header("WARC-Record-ID"), url=url,
                       captured_at=record.rec_headers.get_header("WARC-Date"))

    def _done(self) -> None:
        assert self._fh is not None
        self._fh.flush()
        self._last_write = self.clock()
        if self._fh.tell() >= self.max_size:
            self.close()

    def write_exchange(
        self,
        *,
        url: str,
        request_headers: StatusAndHeaders,
        request_body: bytes,
        response_headers: StatusAndHeaders,
        response_body: bytes,
        extra_headers: dict[str, str] | None = None,
        revisit: Revisit | None = None,
    ) -> WarcRef:
        """A response (or revisit) record and its request right after it; returns where the first is."""
        self._open()
        warc_headers = dict(extra_headers or {})
        if revisit is None:
            response = self._builder.create_warc_record(
                url, "response", payload=io.BytesIO(response_body), length=len(response_body),
                http_headers=response_headers, warc_headers_dict=warc_headers,
            )
        else:
            original = revisit.original
            warc_headers["WARC-Refers-To"] = original.record_id
            response = self._builder.create_revisit_record(
                url, original.digest, original.url, original.captured_at,
                http_headers=response_headers, warc_headers_dict=warc_headers,
            )
            response.rec_headers.replace_header("WARC-Profile", revisit.profile)
        request = self._builder.create_warc_record(
            url, "request", payload=io.BytesIO(request_body), length=len(request_body),
            http_headers=request_headers,
            warc_headers_dict={k: v for k, v in warc_headers.items() if k == "WARC-IP-Address"},
        )
        request.rec_headers.replace_header("WARC-Date", response.rec_headers.get_header("WARC-Date"))
        request.rec_headers.add_header("WARC-Concurrent-To", response.rec_headers.get_header("WARC-Record-ID"))
        offset, length = self._write(response)
        self._write(request)
        ref = self._ref(response, url, offset, length)
        self._done()
        return ref

    def write_metadata(self, url: str, fields: list[tuple[str, str]], concurrent_to: str | None) -> WarcRef:
        """A `metadata` record (application/warc-fields) about the capture ``concurrent_to``."""
        self._open()
        body = "".join(f"{name}: {_one_line(value)}\r\n" for name, value in fields).encode("utf-8")
        headers = {"WARC-Concurrent-To": concurrent_to} if concurrent_to else {}
        record = self._builder.create_warc_record(
            url, "metadata", payload=io.BytesIO(body), length=len(body),
            warc_content_type="application/warc-fields", warc_headers_dict=headers,
        )
        offset, length = self._write(record)
        ref = self._ref(record, url, offset, length)
        self._done()
        return ref

    def write_resource(self, uri: str, content_type: str, body: bytes,
                       extra_headers: dict[str, str] | None = None) -> WarcRef:
        """A `resource` record: content that is not an HTTP payload (a rendered DOM, extracted text)."""
        self._open()
        record = self._builder.create_warc_record(
            uri, "resource", payload=io.BytesIO(body), length=len(body),
            warc_content_type=content_type, warc_headers_dict=dict(extra_headers or {}),
        )
        offset, length = self._write(record)
        ref = self._ref(record, uri, offset, length)
        self._done()
        return ref

    def idle_for(self) -> float:
        return self.clock() - self._last_write if self._fh is not None else 0.0

    def close_if_idle(self) -> bool:
        """Finish the current file when nothing was written to it for ``idle_timeout`` seconds."""
        if self._fh is None or not self.idle_timeout or self.idle_for() < self.idle_timeout:
            return False
        logger.info("Closing WARC %s after %.0f s idle", self._name, self.idle_for())
        self.close()
        return True

    def close(self) -> None:
        """Finish the current file: flush, fsync, close and drop the `.open` suffix."""
        if self._fh is None:
            return
        fh, self._fh = self._fh, None
        fh.flush()
        os.fsync(fh.fileno())
        final = self.directory / self._name
        os.replace(self.directory / (self._name + OPEN_SUFFIX), final)
        fh.close()  # closing drops the lock, after the rename so a repair never sees it unlocked
        self.finished.append(final)
        logger.info("Closed WARC %s", final.name)
        if self.on_finish is not None:
            self.on_finish(final)


def _one_line(value: str) -> str:
    return " ".join(value.split())


# -- reading -------------------------------------------------------------------------------------


@dataclass
class StoredRecord:
    """One record read back: its headers and its payload as stored."""

    rec_type: str
    url: str
    record_id: str
    date: str
    headers: StatusAndHeaders
    http_headers: StatusAndHeaders | None
    raw: bytes  # the payload as stored (content-encoded)
    digest_ok: bool | None  # None: no digest to check
    problems: list[str]

    def content(self, limit: int = INFLATE_LIMIT) -> bytes:
        """The payload with its Content-Encoding removed (what a browser would parse), at most ``limit``
        bytes of it: a stored decompression bomb stays a few MB in memory."""
        if self.http_headers is None or not self.raw:
            return self.raw
        return decode_content(self.http_headers.get_header("Content-Encoding") or "", self.raw, limit)


def read_record(fh: IO[bytes], offset: int, *, check_digests: bool = True) -> StoredRecord:
    """The record that starts at ``offset``; raises ArchiveLoadFailed when there is none."""
    fh.seek(offset)
    iterator = ArchiveIterator(fh, check_digests=check_digests)
    try:
        record = next(iterator)
    except StopIteration:
        raise ArchiveLoadFailed(f"no record at offset {offset}") from None
    return _stored(record)


def _stored(record: Any) -> StoredRecord:
    raw = record.raw_stream.read()
    checker = record.digest_checker
    return StoredRecord(
        rec_type=record.rec_type, url=record.rec_headers.get_header("WARC-Target-URI") or "",
        record_id=record.rec_headers.get_header("WARC-Record-ID") or "",
        date=record.rec_headers.get_header("WARC-Date") or "", headers=record.rec_headers,
        http_headers=record.http_headers, raw=raw,
        digest_ok=checker.passed if checker is not None else None,
        problems=list(checker.problems) if checker is not None else [],
    )


def decode_content(coding: str, raw: bytes, limit: int = INFLATE_LIMIT) -> bytes:
    """Undo gzip or deflate (what we ask servers for), up to ``limit`` bytes; a cut stream gives what it
    holds."""
    coding = coding.strip().lower()
    if coding not in ("gzip", "x-gzip", "deflate"):
        return raw
    wbits = zlib.MAX_WBITS | 32 if coding != "deflate" or raw[:1] == b"\x78" else -zlib.MAX_WBITS
    try:
        return zlib.decompressobj(wbits).decompress(raw, limit)
    except zlib.error as exc:
        raise ValueError(f"cannot decode the {coding} payload: {exc}") from None


def iter_records(fh: IO[bytes], *, check_digests: bool = True) -> Iterator[tuple[int, int, StoredRecord]]:
    """Every record in a WARC with its offset and length in the file."""
    iterator = ArchiveIterator(fh, check_digests=check_digests)
    for record in iterator:
        stored = _stored(record)
        iterator.read_to_end(record)
        yield iterator.get_record_offset(), iterator.get_record_length(), stored


# -- repair ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepairResult:
    path: Path  # the finished file, or the `.damaged` one when not one record was complete
    records: int  # complete records kept
    kept_bytes: int
    cut_bytes: int

    @property
    def damaged(self) -> bool:
        return self.path.name.endswith(DAMAGED_SUFFIX)


def _gzip_members(fh: IO[bytes]) -> Iterator[tuple[int, int, bytes | None]]:
    """(start, end, decompressed) per gzip member; decompressed is None for a torn or corrupt one (the last)."""
    offset = 0
    pending = b""
    while True:
        decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
        start, parts = offset, []
        while not decompressor.eof:
            if not pending:
                pending = fh.read(_READ_SIZE)
                if not pending:
                    if offset > start:
                        yield start, offset, None  # the file ends inside this member
                    return
            try:
                parts.append(decompressor.decompress(pending))
            except zlib.error:
                yield start, offset, None
                return
            if decompressor.eof:
                offset += len(pending) - len(decompressor.unused_data)
                pending = decompressor.unused_data
            else:
                offset += len(pending)
                pending = b""
        yield start, offset, b"".join(parts)


def _is_complete_record(member: bytes) -> bool:
    """One whole WARC record whose length and block digest hold."""
    header_end = member.find(b"\r\n\r\n")
    if not member.startswith(b"WARC/") or header_end < 0:
        return False
    try:
        iterator = ArchiveIterator(io.BytesIO(member), check_digests=True)
        record = next(iterator)
        declared = int(record.rec_headers.get_header("Content-Length") or -1)
        record.raw_stream.read()
        passed = record.digest_checker.passed
    except (ArchiveLoadFailed, StopIteration, ValueError, zlib.error):
        return False
    return declared >= 0 and len(member) == header_end + 4 + declared + 4 and passed is not False


def scan_complete_records(fh: IO[bytes]) -> tuple[int, int]:
    """(records, end offset of the last complete one) from the start of a WARC."""
    records, good_end = 0, 0
    for _start, end, member in _gzip_members(fh):
        if member is None or not _is_complete_record(member):
            break
        records, good_end = records + 1, end
    return records, good_end


def repair_open_file(path: Path) -> RepairResult | None:
    """Cut a `.open` file back to its last complete record and finish it; None if a writer still holds it."""
    final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
    try:
        fh = open(path, "r+b")  # noqa: SIM115 - closed by the with below
    except FileNotFoundError:  # another crawler repaired it first
        return None
    with fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None
        if not os.path.exists(path):  # repaired and renamed while we waited for the lock
            return None
        size = os.fstat(fh.fileno()).st_size
        records, good_end = scan_complete_records(fh)
        if records == 0:
            target = path.with_name(final.name + DAMAGED_SUFFIX)
            os.replace(path, target)
            logger.error("WARC %s has no complete record (%d bytes); moved aside as %s", path.name, size,
                         target.name)
            return RepairResult(target, 0, 0, size)
        fh.truncate(good_end)
        fh.flush()
        os.fsync(fh.fileno())
        fh.seek(0)
        if scan_complete_records(fh) != (records, good_end):  # pragma: no cover - the cut must re-read
            raise OSError(f"repair of {path} did not leave {records} complete records")
        os.replace(path, final)
    logger.warning("Repaired WARC %s left by a crash: kept %d records (%d bytes), cut %d bytes",
                   final.name, records, good_end, size - good_end)
    return RepairResult(final, records, good_end, size - good_end)


def repair_open_files(directory: Path) -> list[RepairResult]:
    """Repair every `.open` file in ``directory`` that no running writer holds."""
    results = []
    for path in sorted(directory.glob(f"*.warc.gz{OPEN_SUFFIX}")):
        result = repair_open_file(path)
        if result is not None:
            results.append(result)
    return results


def is_locked(path: Path) -> bool:
    """Whether a writer holds this `.open` file right now."""
    with open(path, "rb") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        return False

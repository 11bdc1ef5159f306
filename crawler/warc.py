"""A WARC/1.1 file writer: one gzip member per record, `.open` while written, Heritrix-style names.

warcio builds and digests the records; this module owns the files: naming, the warcinfo record
that opens each one, size rollover, and where each record landed (file, offset, length).
"""

from __future__ import annotations

import io
import logging
import os
import socket
from datetime import UTC, datetime
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.items import WarcRef

logger = logging.getLogger(__name__)

WARC_VERSION = "1.1"
OPEN_SUFFIX = ".open"


def warc_file_name(prefix: str, serial: int, now: datetime | None = None) -> str:
    """PREFIX-YYYYMMDDHHMMSSmmm-SERIAL-PID~HOST.warc.gz, as Heritrix names its files."""
    now = now or datetime.now(UTC)
    stamp = now.strftime("%Y%m%d%H%M%S") + f"{now.microsecond // 1000:03d}"
    host = socket.gethostname().replace("-", "_") or "localhost"
    return f"{prefix}-{stamp}-{serial:05d}-{os.getpid()}~{host}.warc.gz"


class WarcFileWriter:
    """Writes records to a rolling series of WARC files in ``directory``."""

    def __init__(self, directory: Path, *, prefix: str, max_size: int, info: dict[str, str]) -> None:
        self.directory = directory
        self.prefix = prefix
        self.max_size = max_size
        self.info = info
        self._serial = 0
        self._fh: io.BufferedWriter | None = None
        self._writer: WARCWriter | None = None
        self._name = ""
        self.finished: list[Path] = []

    @property
    def current_name(self) -> str:
        return self._name

    def _open(self) -> WARCWriter:
        if self._writer is not None:
            return self._writer
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            self._name = warc_file_name(self.prefix, self._serial)
            self._serial += 1
            try:
                self._fh = open(self.directory / (self._name + OPEN_SUFFIX), "xb")  # noqa: SIM115 - closed in close()
                break
            except FileExistsError:
                # The crawlers of one run (one per source kind) share a PID: two can open a file in the
                # same millisecond. The next serial number makes the name unique again.
                continue
        self._writer = WARCWriter(self._fh, gzip=True, warc_version=WARC_VERSION)
        self._writer.write_record(self._writer.create_warcinfo_record(self._name, self.info))
        self._fh.flush()
        logger.info("Opened WARC %s", self._name)
        return self._writer

    def write_exchange(
        self,
        *,
        url: str,
        request_headers: StatusAndHeaders,
        request_body: bytes,
        response_headers: StatusAndHeaders,
        response_body: bytes,
        extra_headers: dict[str, str] | None = None,
    ) -> WarcRef:
        """Write a response record and its request right after it; returns where the response is."""
        writer = self._open()
        assert self._fh is not None
        warc_headers = dict(extra_headers or {})
        response = writer.create_warc_record(
            url, "response", payload=io.BytesIO(response_body), length=len(response_body),
            http_headers=response_headers, warc_headers_dict=warc_headers,
        )
        request = writer.create_warc_record(
            url, "request", payload=io.BytesIO(request_body), length=len(request_body),
            http_headers=request_headers,
            warc_headers_dict={k: v for k, v in warc_headers.items() if k == "WARC-IP-Address"},
        )
        request.rec_headers.replace_header("WARC-Date", response.rec_headers.get_header("WARC-Date"))
        request.rec_headers.add_header("WARC-Concurrent-To", response.rec_headers.get_header("WARC-Record-ID"))
        offset = self._fh.tell()
        writer.write_record(response)
        length = self._fh.tell() - offset
        writer.write_record(request)
        self._fh.flush()
        ref = WarcRef(
            warc_file=self._name, offset=offset, length=length,
            record_id=response.rec_headers.get_header("WARC-Record-ID"), url=url,
            captured_at=response.rec_headers.get_header("WARC-Date"),
        )
        if self._fh.tell() >= self.max_size:
            self.close()
        return ref

    def close(self) -> None:
        """Finish the current file: flush, close and drop the `.open` suffix."""
        if self._fh is None:
            return
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        final = self.directory / self._name
        os.replace(self.directory / (self._name + OPEN_SUFFIX), final)
        self.finished.append(final)
        logger.info("Closed WARC %s", final.name)
        self._fh = None
        self._writer = None

"""Archived pages by URL and time: what a feed entry's snapshot link (rel="memento") points to.

Links use the Wayback URL scheme, ``BASE/TIMESTAMP/URL`` with a 14-digit timestamp, so they work
against `feedarchiver serve` (which answers ``/web/TIMESTAMP/URL`` with the archived payload, as it
was sent, no rewriting: pywb's ``id_`` mode) and against a pywb collection built from the same WARCs
(``replay_base_url = "https://replay.example.org/COLLECTION/"``) for fully rewritten replay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from crawler.archive.reader import ArchiveReader
from crawler.index import ArchiveIndex
from crawler.items import WarcRef
from crawler.storage.objects import ObjectStore

PREFIX = "web/"  # where `serve` answers snapshots, beside feeds/ and media/
_TIMESTAMP = re.compile(r"\d{4,14}")
_ONE_SLASH = re.compile(r"^(https?):/(?!/)")


def timestamp14(warc_date: str) -> str:
    """A WARC-Date (ISO 8601, UTC) as the 14 digits of a Wayback URL: 2026-11-20T08:00:00.123Z → 20261120080000."""
    digits = re.sub(r"\D", "", warc_date[:19])
    if len(digits) != 14:
        raise ValueError(f"not a WARC-Date: {warc_date!r}")
    return digits


def snapshot_ref(captures: list[WarcRef], url: str) -> WarcRef | None:
    """The capture a post's snapshot link shows: the earliest of its page at ``url``, else its earliest."""
    return next((c for c in captures if c["url"] == url), captures[0] if captures else None)


def snapshot_url(base: str, ref: WarcRef) -> str:
    return f"{base}{timestamp14(ref['captured_at'])}/{ref['url']}"


@dataclass(frozen=True)
class Snapshot:
    url: str
    captured_at: str  # the WARC-Date of the capture shown
    status: int  # what the server answered then (200 for a browser-rendered page)
    content_type: str
    body: bytes  # the payload without its Content-Encoding


class SnapshotNotFound(LookupError):
    pass


class SnapshotFinder:
    """Finds the capture of a URL nearest a timestamp and reads its payload (a revisit's from the record
    it refers to), from local WARCs or, once they were uploaded and deleted, from archive storage."""

    def __init__(self, warc_dir: Path, store: ArchiveIndex, storage: ObjectStore | None = None) -> None:
        self.store = store
        self.reader = ArchiveReader(warc_dir, storage)

    def find(self, timestamp: str, url: str) -> Snapshot:
        """Raises SnapshotNotFound; OSError, StorageError or ValueError when the archive cannot be read."""
        if not _TIMESTAMP.fullmatch(timestamp):
            raise SnapshotNotFound(f"not a timestamp: {timestamp!r}")
        # A relative link resolved by a client that merges "//" in paths (Python's urljoin, say) arrives
        # as http:/host/…; Wayback machines accept that too.
        url = _ONE_SLASH.sub(r"\1://", url, count=1)
        refs = self.store.captures_at(url)
        if not refs:
            raise SnapshotNotFound(f"no capture of {url}")
        wanted = int(timestamp.ljust(14, "0"))
        ref = min(refs, key=lambda r: (abs(int(timestamp14(r["captured_at"])) - wanted), r["captured_at"]))
        record = self.reader.read(ref["warc_file"], ref["offset"], ref["length"], check_digests=False)
        http = record.http_headers
        status = int(http.get_statuscode() or 200) if http is not None and record.rec_type != "resource" else 200
        content_type = ((http.get_header("Content-Type") if http is not None and record.rec_type != "resource"
                         else record.headers.get_header("Content-Type")) or "application/octet-stream")
        payload = record
        if record.rec_type == "revisit":
            digest = record.headers.get_header("WARC-Payload-Digest") or ""
            original = self.store.payload_record(digest)
            if original is None:
                raise SnapshotNotFound(f"the capture of {url} repeats a payload the digest index does not hold")
            payload = self.reader.read(original.warc_file, original.offset, original.length, check_digests=False)
            if status == 304:  # server-not-modified: what it confirmed is the earlier answer
                status = 200
            if payload.http_headers is not None:
                content_type = payload.http_headers.get_header("Content-Type") or content_type
        return Snapshot(url=url, captured_at=ref["captured_at"], status=status, content_type=content_type,
                        body=payload.content())

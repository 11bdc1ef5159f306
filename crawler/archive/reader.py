"""Archived records read back by WARC file name and offset: from DATA/warc, or, once a file was
uploaded and deleted locally, from remote storage."""

from __future__ import annotations

import io
from pathlib import Path

from crawler.archive.publisher import SUBDIRS
from crawler.archive.warc import StoredRecord, read_record
from crawler.storage.objects import ObjectStore


class ArchiveReader:
    """Reads one record by WARC file name and offset: locally, else from remote storage."""

    def __init__(self, warc_dir: Path, storage: ObjectStore | None = None) -> None:
        self.warc_dir = warc_dir
        self.storage = storage

    def read(self, warc_file: str, offset: int, length: int, *, check_digests: bool = True) -> StoredRecord:
        """Raises OSError, StorageError or warcio's ArchiveLoadFailed when the record cannot be read."""
        path = self.warc_dir / warc_file
        if path.exists() or self.storage is None:
            with open(path, "rb") as fh:
                return read_record(fh, offset, check_digests=check_digests)
        data = self.storage.read_range(f"{SUBDIRS['warc']}/{warc_file}", offset, length)
        return read_record(io.BytesIO(data), 0, check_digests=check_digests)

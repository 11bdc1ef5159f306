"""Where finished archive files go besides the data directory, chosen by URL scheme.

``s3://bucket/prefix`` uploads with boto3 (any S3-compatible store; credentials and region from the
usual AWS_* environment), ``file:///dir`` copies to another directory (a NAS mount). Keys mirror the
data directory: ``PREFIX/warc/NAME``, ``PREFIX/indexes/NAME``, ``PREFIX/wacz/NAME``. Every upload is
checked against the local bytes before it counts.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from crawler.errors import ConfigError, StorageError

logger = logging.getLogger(__name__)

MIB = 1024 * 1024


class ArchiveStorage(Protocol):
    url: str

    def upload(self, path: Path, key: str) -> str:
        """Copy ``path`` to ``key``, check it arrived intact; returns its URL. Raises StorageError."""
        ...

    def read_range(self, key: str, offset: int, length: int) -> bytes: ...


def open_storage(url: str, *, endpoint_url: str = "", multipart_threshold: int = 64 * MIB) -> ArchiveStorage:
    parts = urlsplit(url)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ConfigError(f"archive_url {url!r} names no bucket (s3://BUCKET/PREFIX)")
        return S3Storage(parts.netloc, parts.path.strip("/"), endpoint_url=endpoint_url or None,
                         multipart_threshold=multipart_threshold)
    if parts.scheme == "file":
        return LocalStorage(Path(unquote(parts.path)))
    raise ConfigError(f"archive_url must be s3://BUCKET/PREFIX or file:///DIR, not {url!r}")


def multipart_etag(path: Path, chunk_size: int) -> str:
    """The ETag S3 gives an object uploaded in ``chunk_size`` parts: MD5 of the parts' MD5s, dash, count."""
    digests = []
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_size):
            digests.append(hashlib.md5(chunk, usedforsecurity=False).digest())
    combined = hashlib.md5(b"".join(digests), usedforsecurity=False).hexdigest()
    return f'"{combined}-{len(digests)}"'


def file_md5_etag(path: Path) -> str:
    md5 = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        while chunk := fh.read(MIB):
            md5.update(chunk)
    return f'"{md5.hexdigest()}"'


class S3Storage:
    """Uploads with boto3: one PUT below ``multipart_threshold``, a multipart upload above it."""

    def __init__(self, bucket: str, prefix: str, *, endpoint_url: str | None = None,
                 multipart_threshold: int = 64 * MIB, multipart_chunksize: int = 16 * MIB,
                 client: Any = None) -> None:
        import boto3
        from boto3.s3.transfer import TransferConfig

        self.bucket = bucket
        self.prefix = prefix
        self.url = f"s3://{bucket}/{prefix}".rstrip("/")
        self.client = client or boto3.client("s3", endpoint_url=endpoint_url)
        self.multipart_threshold = multipart_threshold
        self.multipart_chunksize = multipart_chunksize
        self.transfer = TransferConfig(multipart_threshold=multipart_threshold,
                                       multipart_chunksize=multipart_chunksize, use_threads=False)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def expected_etag(self, path: Path) -> str:
        from s3transfer.utils import ChunksizeAdjuster

        size = path.stat().st_size
        if size < self.multipart_threshold:
            return file_md5_etag(path)
        # s3transfer raises the part size to S3's minimum (5 MiB) and to fit 10,000 parts: so do we.
        chunk = ChunksizeAdjuster().adjust_chunksize(self.multipart_chunksize, size)
        return multipart_etag(path, chunk)

    def upload(self, path: Path, key: str) -> str:
        from boto3.exceptions import Boto3Error
        from botocore.exceptions import BotoCoreError, ClientError

        full_key = self._key(key)
        url = f"s3://{self.bucket}/{full_key}"
        try:
            self.client.upload_file(str(path), self.bucket, full_key, Config=self.transfer)
            head = self.client.head_object(Bucket=self.bucket, Key=full_key)
        except (Boto3Error, BotoCoreError, ClientError) as exc:  # S3UploadFailedError is a Boto3Error
            raise StorageError(f"upload of {path.name} to {url} failed: {exc}") from None
        size = path.stat().st_size
        expected = self.expected_etag(path)
        if head.get("ContentLength") != size or head.get("ETag") != expected:
            raise StorageError(f"{url} does not match {path.name}: {head.get('ContentLength')} bytes, "
                               f"ETag {head.get('ETag')}; expected {size} bytes, ETag {expected}")
        return url

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(key),
                                            Range=f"bytes={offset}-{offset + length - 1}")
            return bytes(answer["Body"].read())
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"cannot read s3://{self.bucket}/{self._key(key)}: {exc}") from None


class LocalStorage:
    """Copies into another directory (fsynced, then renamed into place) and checks the copy's hash."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = root.as_uri()

    def upload(self, path: Path, key: str) -> str:
        target = self.root / key
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.part")
            with open(path, "rb") as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst, MIB)
                dst.flush()
                os.fsync(dst.fileno())
            os.replace(tmp, target)
            if sha256_file(target) != sha256_file(path):
                raise StorageError(f"copy of {path.name} at {target} does not match")
        except OSError as exc:
            raise StorageError(f"cannot copy {path.name} to {target}: {exc.strerror or exc}") from None
        return target.as_uri()

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        try:
            with open(self.root / key, "rb") as fh:
                fh.seek(offset)
                return fh.read(length)
        except OSError as exc:
            raise StorageError(f"cannot read {self.root / key}: {exc.strerror or exc}") from None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(MIB):
            digest.update(chunk)
    return digest.hexdigest()

"""One object store, chosen by URL, for everything kept besides the data directory: archived pictures
(``media_store``), finished WARC, CDXJ and WACZ files (``archive_url``) and published feeds
(``feeds_store``).

``s3://BUCKET/PREFIX`` is any S3-compatible store through boto3 (the endpoint is the one
``s3_endpoint_url`` setting; credentials and region only from the usual AWS_* environment);
``file:///DIR`` or a plain path is a directory (a NAS mount, or DATA/media itself). Keys are relative
to the prefix or directory. Uploads of files are checked against the local bytes before they count;
small objects written from memory are written atomically (locally) or checksummed by the server (S3).
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from crawler.errors import ConfigError, StorageError
from crawler.storage.files import replace_atomically

MIB = 1024 * 1024
IMMUTABLE = "public, max-age=31536000, immutable"  # content-addressed objects never change


class ObjectStore(Protocol):
    url: str

    def has(self, key: str, size: int | None = None) -> bool:
        """Whether the object is there (with this many bytes, when ``size`` is given)."""
        ...

    def put(self, key: str, body: bytes, *, content_type: str, cache_control: str | None = None) -> None:
        """Write an object from memory; raises StorageError."""
        ...

    def upload(self, path: Path, key: str) -> str:
        """Copy a local file to ``key`` and check it arrived intact; returns its URL. Raises StorageError."""
        ...

    def read_range(self, key: str, offset: int, length: int) -> bytes: ...

    def listing(self) -> dict[str, str]:
        """Every object under the prefix: key -> its quoted MD5 (S3's ETag of a single-part object)."""
        ...

    def delete(self, keys: list[str]) -> None: ...


def open_store(url: str | Path, *, endpoint_url: str = "", multipart_threshold: int = 64 * MIB,
               client: Any = None) -> ObjectStore:
    """The store a URL names: s3://BUCKET/PREFIX, file:///DIR, or a directory path."""
    text = str(url)
    parts = urlsplit(text)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ConfigError(f"{text!r} names no bucket (s3://BUCKET/PREFIX)")
        return S3Store(parts.netloc, parts.path.strip("/"), endpoint_url=endpoint_url or None,
                       multipart_threshold=multipart_threshold, client=client)
    if parts.scheme == "file":
        return LocalStore(Path(unquote(parts.path)))
    if "://" in text:
        raise ConfigError(f"a store is s3://BUCKET/PREFIX, file:///DIR or a directory, not {text!r}")
    return LocalStore(Path(text))


def put_once(store: ObjectStore, key: str, body: bytes, content_type: str) -> bool:
    """Store content-addressed bytes (the key names their hash) unless they are there already;
    True when written. A same-named object of another size (a writer cut short) is replaced."""
    if store.has(key, len(body)):
        return False
    store.put(key, body, content_type=content_type, cache_control=IMMUTABLE)
    return True


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


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(MIB):
            digest.update(chunk)
    return digest.hexdigest()


class S3Store:
    """boto3 on any S3-compatible store: one PUT below ``multipart_threshold``, a multipart upload above."""

    def __init__(self, bucket: str, prefix: str, *, endpoint_url: str | None = None,
                 multipart_threshold: int = 64 * MIB, multipart_chunksize: int = 16 * MIB,
                 client: Any = None) -> None:
        import boto3  # only S3 users need it loaded
        from boto3.s3.transfer import TransferConfig

        self.bucket = bucket
        self.prefix = prefix
        self.url = f"s3://{bucket}/{prefix}".rstrip("/")
        self.client = client or boto3.client("s3", endpoint_url=endpoint_url)
        self.multipart_threshold = multipart_threshold
        self.multipart_chunksize = multipart_chunksize
        self.transfer = TransferConfig(multipart_threshold=multipart_threshold,
                                       multipart_chunksize=multipart_chunksize, use_threads=False)

    def key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _failed(self, what: str, key: str, exc: Exception) -> StorageError:
        return StorageError(f"{what} s3://{self.bucket}/{self.key(key)} failed: {exc}")

    def has(self, key: str, size: int | None = None) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise self._failed("looking up", key, exc) from None
        except BotoCoreError as exc:
            raise self._failed("looking up", key, exc) from None
        return size is None or int(head["ContentLength"]) == size

    def put(self, key: str, body: bytes, *, content_type: str, cache_control: str | None = None) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        # The server checks the SHA-256: a corrupted transfer is refused, never stored under its name.
        extra = {"CacheControl": cache_control} if cache_control else {}
        try:
            self.client.put_object(Bucket=self.bucket, Key=self.key(key), Body=body, ContentType=content_type,
                                   ChecksumSHA256=base64.b64encode(hashlib.sha256(body).digest()).decode("ascii"),
                                   **extra)
        except (BotoCoreError, ClientError) as exc:
            raise self._failed("writing", key, exc) from None

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

        url = f"s3://{self.bucket}/{self.key(key)}"
        try:
            self.client.upload_file(str(path), self.bucket, self.key(key), Config=self.transfer)
            head = self.client.head_object(Bucket=self.bucket, Key=self.key(key))
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
            answer = self.client.get_object(Bucket=self.bucket, Key=self.key(key),
                                            Range=f"bytes={offset}-{offset + length - 1}")
            return bytes(answer["Body"].read())
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"cannot read s3://{self.bucket}/{self.key(key)}: {exc}") from None

    def listing(self) -> dict[str, str]:
        from botocore.exceptions import BotoCoreError, ClientError

        found: dict[str, str] = {}
        start = len(self.prefix) + 1 if self.prefix else 0
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(
                    Bucket=self.bucket, Prefix=f"{self.prefix}/" if self.prefix else ""):
                for obj in page.get("Contents", []):
                    found[obj["Key"][start:]] = obj["ETag"]
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"cannot list {self.url}: {exc}") from None
        return found

    def delete(self, keys: list[str]) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            for start in range(0, len(keys), 1000):  # DeleteObjects takes up to 1,000 keys
                batch = [{"Key": self.key(k)} for k in keys[start:start + 1000]]
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"cannot delete from {self.url}: {exc}") from None


class LocalStore:
    """A directory. Objects from memory are written atomically (a reader or a crash never leaves half a
    file under its name); uploaded files are copied, fsynced, renamed into place and checked."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = root.as_uri() if root.is_absolute() else str(root)

    def has(self, key: str, size: int | None = None) -> bool:
        try:
            return size is None or (self.root / key).stat().st_size == size
        except FileNotFoundError:
            return False

    def put(self, key: str, body: bytes, *, content_type: str, cache_control: str | None = None) -> None:
        try:
            replace_atomically(self.root / key, body)
        except OSError as exc:
            raise StorageError(f"cannot write {self.root / key}: {exc.strerror or exc}") from None

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

    def listing(self) -> dict[str, str]:
        found: dict[str, str] = {}
        if self.root.is_dir():
            for path in self.root.rglob("*"):
                if path.is_file() and not path.name.startswith("."):
                    found[path.relative_to(self.root).as_posix()] = file_md5_etag(path)
        return found

    def delete(self, keys: list[str]) -> None:
        try:
            for key in keys:
                (self.root / key).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot delete from {self.root}: {exc.strerror or exc}") from None

"""Where archived pictures are stored: DATA/media on the local disk, or an S3 bucket."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from crawler.storage.files import replace_atomically


class MediaStore(Protocol):
    def has(self, path: str, size: int) -> bool: ...

    def put(self, path: str, body: bytes, media_type: str) -> bool: ...


def open_media_store(location: str | Path) -> MediaStore:
    """``s3://bucket/prefix`` (boto3, configured from the AWS_* environment), else a local directory."""
    if str(location).startswith("s3://"):
        return S3MediaStore(str(location))
    return LocalMediaStore(Path(location))


class LocalMediaStore:
    """DATA/media on the local disk: written once per content, atomically (a reader or a crash never
    leaves half a picture under a name that claims its hash)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def has(self, path: str, size: int) -> bool:
        try:
            return (self.root / path).stat().st_size == size
        except FileNotFoundError:
            return False

    def put(self, path: str, body: bytes, media_type: str = "") -> bool:
        """Store ``body`` at ``path``; False when the same content was already there."""
        target = self.root / path
        try:
            if target.stat().st_size == len(body):
                return False
        except FileNotFoundError:
            pass
        replace_atomically(target, body)
        return True


class S3MediaStore:
    """s3://bucket/prefix on any S3-compatible store: one object per content, its SHA-256 checked by
    the server on upload (a corrupted transfer is refused, never stored under a name it does not match)."""

    def __init__(self, uri: str, client: Any = None) -> None:
        parts = urlsplit(uri)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"not an s3://bucket/prefix URI: {uri!r}")
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/")
        if client is None:
            import boto3  # only S3 users need it loaded

            client = boto3.client("s3")
        self.client = client

    def key(self, path: str) -> str:
        return f"{self.prefix}/{path}" if self.prefix else path

    def has(self, path: str, size: int) -> bool:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.key(path))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return int(head["ContentLength"]) == size

    def put(self, path: str, body: bytes, media_type: str = "") -> bool:
        if self.has(path, len(body)):
            return False
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")
        self.client.put_object(Bucket=self.bucket, Key=self.key(path), Body=body, ChecksumSHA256=digest,
                               ContentType=media_type or "application/octet-stream",
                               CacheControl="public, max-age=31536000, immutable")
        return True

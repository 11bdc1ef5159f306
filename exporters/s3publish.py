"""Publish DATA/feeds and DATA/hexo to S3 (``feeds_store = "s3://BUCKET/PREFIX"``), as `serve` would.

Each object carries the content type and Cache-Control `feedarchiver serve` sends for it, so a
bucket behind a CDN answers readers the same way. Only files whose bytes differ from the stored
object (by MD5 ETag, from one listing of the prefix) are sent: an unchanged feed keeps its
Last-Modified, and readers' conditional GETs keep getting 304s.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.errors import ConfigError, StorageError
from crawler.serve import CONTENT_TYPES, FEED_MAX_AGE

logger = logging.getLogger(__name__)

PUBLISHED_DIRS = ("feeds", "hexo")  # under DATA/, mirrored as PREFIX/feeds/…, PREFIX/hexo/…


@dataclass
class PublishSummary:
    uploaded: list[str] = field(default_factory=list)  # keys
    unchanged: int = 0


def content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def publish(data_dir: Path, url: str, *, endpoint_url: str = "", client: Any = None) -> PublishSummary:
    """Upload what changed under DATA/feeds and DATA/hexo to ``url``; raises StorageError."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ConfigError(f"feeds_store must be s3://BUCKET/PREFIX, not {url!r}")
    bucket, prefix = parts.netloc, parts.path.strip("/")
    from botocore.exceptions import BotoCoreError, ClientError

    if client is None:
        import boto3

        client = boto3.client("s3", endpoint_url=endpoint_url or None)
    summary = PublishSummary()
    key_of = (lambda rel: f"{prefix}/{rel}") if prefix else (lambda rel: rel)
    try:
        stored: dict[str, str] = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                stored[obj["Key"]] = obj["ETag"]
        for sub in PUBLISHED_DIRS:
            root = data_dir / sub
            if not root.is_dir():
                continue
            for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
                body = path.read_bytes()
                key = key_of(path.relative_to(data_dir).as_posix())
                etag = f'"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"'
                if stored.get(key) == etag:
                    summary.unchanged += 1
                    continue
                client.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type(path),
                                  CacheControl=f"public, max-age={FEED_MAX_AGE}")
                summary.uploaded.append(key)
    except (BotoCoreError, ClientError) as exc:
        raise StorageError(f"publishing feeds to {url} failed: {exc}") from None
    logger.info("Published %d changed files to %s (%d unchanged)", len(summary.uploaded), url, summary.unchanged)
    return summary

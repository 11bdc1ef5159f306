"""Publish DATA/feeds and DATA/hexo to the feeds store (``feeds_store``: s3://BUCKET/PREFIX or
file:///DIR), as `serve` would.

Each object carries the content type and Cache-Control `feedarchiver serve` sends for it, so a
bucket behind a CDN answers readers the same way. Only files whose bytes differ from the stored
object are sent: an unchanged feed keeps its Last-Modified, and readers' conditional GETs keep
getting 304s. Files gone locally (an archive page or a Hexo post of a story merged into another)
are deleted from the bucket.

What was published is remembered in DATA/.feeds-published.json (size, mtime and MD5 per file), so
a publish after a small export reads only the files whose size or mtime moved; without that state
(the first publish, another bucket) one listing of the prefix says what the bucket holds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import mimetypes
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.errors import StorageError
from crawler.storage.objects import open_store
from exporters.publish import CONTENT_TYPES, FEED_MAX_AGE, write_atomic

logger = logging.getLogger(__name__)

PUBLISHED_DIRS = ("feeds", "hexo")  # under DATA/, mirrored as PREFIX/feeds/…, PREFIX/hexo/…
STATE_FILE = ".feeds-published.json"


@dataclass
class PublishSummary:
    uploaded: list[str] = field(default_factory=list)  # keys (with the bucket's prefix)
    deleted: list[str] = field(default_factory=list)  # keys of files gone locally
    unchanged: int = 0


def content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _local_files(data_dir: Path) -> dict[str, os.stat_result]:
    """Published files by path under DATA (dot files are our own state), with their stat."""
    found: dict[str, os.stat_result] = {}
    stack = [data_dir / sub for sub in PUBLISHED_DIRS if (data_dir / sub).is_dir()]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    found[Path(entry.path).relative_to(data_dir).as_posix()] = entry.stat()
    return found


def publish(data_dir: Path, url: str, *, endpoint_url: str = "", client: Any = None) -> PublishSummary:
    """Upload what changed under DATA/feeds and DATA/hexo to the store ``url`` names (s3://BUCKET/PREFIX
    or file:///DIR) and delete what is gone; raises StorageError (what was sent before the error is
    remembered, the rest is tried again next time)."""
    store = open_store(url, endpoint_url=endpoint_url, client=client)
    prefix = urlsplit(url).path.strip("/") if url.startswith("s3://") else ""
    key_of = (lambda rel: f"{prefix}/{rel}") if prefix else (lambda rel: rel)
    summary = PublishSummary()
    state_path = data_dir / STATE_FILE
    try:
        previous = json.loads(state_path.read_text("utf-8"))
        known: dict[str, list[Any]] = previous["files"] if previous.get("url") == url else {}
        trusted = previous.get("url") == url
    except (OSError, ValueError, KeyError, TypeError):
        known, trusted = {}, False
    published: dict[str, list[Any]] = {}  # rel -> [size, mtime_ns, quoted MD5], as the store now holds it
    try:
        remote: dict[str, str] = {}
        if not trusted:
            remote = {rel: etag for rel, etag in store.listing().items() if rel.split("/", 1)[0] in PUBLISHED_DIRS}
        local = _local_files(data_dir)
        for rel in sorted(local):
            stat, seen = local[rel], known.get(rel)
            if seen is not None and seen[:2] == [stat.st_size, stat.st_mtime_ns]:
                published[rel] = seen
                summary.unchanged += 1
                continue
            body = (data_dir / rel).read_bytes()
            etag = f'"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"'
            if etag in ((seen or [None] * 3)[2], remote.get(rel)):
                summary.unchanged += 1
            else:
                store.put(rel, body, content_type=content_type(data_dir / rel),
                          cache_control=f"public, max-age={FEED_MAX_AGE}")
                summary.uploaded.append(key_of(rel))
            published[rel] = [stat.st_size, stat.st_mtime_ns, etag]
        gone = sorted((set(known) | set(remote)) - set(local))
        store.delete(gone)
        summary.deleted += [key_of(rel) for rel in gone]
    except (StorageError, OSError) as exc:
        # Keep what is known to be in the store; a file whose upload failed is compared again next time.
        _save(state_path, url, {**{rel: v for rel, v in known.items() if rel not in published}, **published})
        raise StorageError(f"publishing feeds to {url} failed: {exc}") from None
    _save(state_path, url, published)
    logger.info("Published %d changed files to %s, deleted %d gone ones (%d unchanged)", len(summary.uploaded), url,
                len(summary.deleted), summary.unchanged)
    return summary


def _save(path: Path, url: str, files: dict[str, list[Any]]) -> None:
    write_atomic(path, json.dumps({"url": url, "files": files}, sort_keys=True).encode("utf-8"))

"""Published files: written atomically (a reader never sees half a feed), and the content types and
caching they are served with, by `serve` and from a feeds_store bucket alike."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from crawler.storage.files import replace_atomically

if TYPE_CHECKING:
    from crawler.config import AppConfig

CONTENT_TYPES = {
    ".atom": "application/atom+xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".json": "application/feed+json; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
}
FEED_MAX_AGE = 300  # seconds readers may reuse a feed before asking again (with a conditional GET)


def write_atomic(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` via a temporary file and rename; returns False when nothing changed.

    An unchanged file is left alone so its mtime (and so Last-Modified / 304 answers) stays put.
    """
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    replace_atomically(path, data)
    return True


# What RFC 3986 allows unescaped in a URI (reserved and unreserved characters, and escapes already made).
_URI_SAFE = ":/?#[]@!$&'()*+,;=%-._~"


def as_uri(href: str) -> str:
    """An IRI (a path with Chinese in it, a space) as the URI readers and validators expect: everything
    RFC 3986 does not allow, percent-encoded as UTF-8; what is already a URI stays as it is."""
    return quote(href, safe=_URI_SAFE)


def public_url(app: AppConfig, relative: str) -> str | None:
    """Where a document at DATA/feeds/``relative`` is published, when `public_base_url` says."""
    base = app.settings.public_base_url
    return as_uri(f"{base.rstrip('/')}/feeds/{relative}") if base else None

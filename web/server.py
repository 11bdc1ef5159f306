"""Serve the data directory's published tree over HTTP: /feeds/…, /media/… and snapshots at /web/….

What feed readers expect of a feed host: strong ETags and Last-Modified with 304 answers, gzip for
those who ask, correct content types, long caching for content-addressed media, and RSSHub-style
query filters (?limit=&filter=&filterout=&filter_title=&category=) on feeds. /web/TIMESTAMP/URL
answers an entry's snapshot link with the archived page as it was sent (crawler/archive/snapshots.py), under
a Content-Security-Policy that runs none of its scripts and loads nothing from elsewhere.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import json
import logging
import mimetypes
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from crawler.archive.snapshots import PREFIX as SNAPSHOT_PREFIX
from crawler.archive.snapshots import Snapshot, SnapshotNotFound
from exporters.filters import FeedFilter, FilterError
from exporters.publish import CONTENT_TYPES, FEED_MAX_AGE

logger = logging.getLogger(__name__)

COMPRESSIBLE = (".atom", ".rss", ".json", ".md", ".svg", ".xml", ".txt", ".html")
MEDIA_MAX_AGE = 31_536_000  # media files are named by their content and never change


# An archived page shown on our origin is hostile HTML: no scripts, forms, frames or plugins, nothing
# fetched from elsewhere (no hotlinking, no tracking); its own inline styles and data: pictures only.
SNAPSHOT_CSP = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"

HealthProvider = Callable[[], dict[str, Any]]
SnapshotProvider = Callable[[str, str], Snapshot]  # (timestamp, url) -> the capture nearest that time
SearchProvider = Callable[[dict[str, list[str]]], tuple[int, dict[str, Any]]]  # query string -> status, JSON


class PublishedTreeHandler(BaseHTTPRequestHandler):
    server_version = "feedarchiver"
    root: Path  # set on the subclass made per server
    health: HealthProvider | None = None  # answers /health (per-source health as JSON) when set
    snapshots: SnapshotProvider | None = None  # answers /web/TIMESTAMP/URL when set
    search: SearchProvider | None = None  # answers /api/search?q=… when set

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _resolve(self, path: str) -> Path | None:
        if not path.startswith(("/feeds/", "/media/")) or path.endswith("/"):
            return None
        tree = (self.root / path.split("/")[1]).resolve()
        target = (self.root / unquote(path).lstrip("/")).resolve()
        if not target.is_relative_to(tree) or not target.is_file():
            return None  # no way out of the published trees (../), and directories are not listed
        return target

    def _answer(self, *, send_body: bool) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/health" and self.health is not None:
            self._health(send_body=send_body)
            return
        if parts.path == "/api/search" and self.search is not None:
            self._search(parse_qs(parts.query), send_body=send_body)
            return
        if parts.path.startswith("/" + SNAPSHOT_PREFIX) and self.snapshots is not None:
            self._snapshot(send_body=send_body)
            return
        target = self._resolve(parts.path)
        if target is None:
            self._error(HTTPStatus.NOT_FOUND, "not found")
            return
        suffix = target.suffix.lower()
        try:
            body = target.read_bytes()
            mtime = target.stat().st_mtime
            if parts.query and suffix in (".atom", ".rss", ".json") and parts.path.startswith("/feeds/"):
                feed_filter = FeedFilter.from_query(parse_qs(parts.query))
                if feed_filter.active:
                    body = feed_filter.apply(body, suffix[1:])
        except FilterError as exc:
            self._error(HTTPStatus.BAD_REQUEST, str(exc))
            return
        except OSError:
            self._error(HTTPStatus.NOT_FOUND, "not found")
            return
        encode = suffix in COMPRESSIBLE and "gzip" in (self.headers.get("Accept-Encoding") or "")
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + ('-gz"' if encode else '"')
        last_modified = email.utils.formatdate(int(mtime), usegmt=True)
        headers = {
            "ETag": etag,
            "Last-Modified": last_modified,
            "Cache-Control": f"public, max-age={MEDIA_MAX_AGE}, immutable" if parts.path.startswith("/media/")
            else f"public, max-age={FEED_MAX_AGE}",
            "Vary": "Accept-Encoding",
        }
        if self._not_modified(etag, int(mtime)):
            self._send(HTTPStatus.NOT_MODIFIED, headers, b"", send_body=False)
            return
        content_type = CONTENT_TYPES.get(suffix) or mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        headers["Content-Type"] = content_type
        if encode:
            body = gzip.compress(body, mtime=0)
            headers["Content-Encoding"] = "gzip"
        self._send(HTTPStatus.OK, headers, body, send_body=send_body)

    def _health(self, *, send_body: bool) -> None:
        assert self.health is not None
        try:
            document = self.health()
        except Exception:
            logger.exception("building /health failed")
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, "health report failed; see the server log")
            return
        body = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
        self._send(HTTPStatus.OK, {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"},
                   body, send_body=send_body)

    def _search(self, params: dict[str, list[str]], *, send_body: bool) -> None:
        assert self.search is not None
        try:
            status, document = self.search(params)
        except Exception:
            logger.exception("search failed")
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, "search failed; see the server log")
            return
        body = json.dumps(document, ensure_ascii=False).encode("utf-8")
        self._send(HTTPStatus(status), {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"},
                   body, send_body=send_body)

    def _snapshot(self, *, send_body: bool) -> None:
        """/web/TIMESTAMP/URL: the URL keeps its own query string, so it is taken from the raw path."""
        assert self.snapshots is not None
        timestamp, _, url = self.path[len(SNAPSHOT_PREFIX) + 1:].partition("/")
        timestamp = timestamp.removesuffix("id_")  # pywb's "as it was sent" modifier means what we serve anyway
        try:
            snapshot = self.snapshots(timestamp, url)
        except SnapshotNotFound as exc:
            self._error(HTTPStatus.NOT_FOUND, str(exc))
            return
        except Exception:
            logger.exception("reading the snapshot of %s failed", url)
            self._error(HTTPStatus.BAD_GATEWAY, "the archive could not be read; see the server log")
            return
        headers = {
            "Content-Type": snapshot.content_type,
            "Memento-Datetime": _http_date(snapshot.captured_at),
            "Link": f'<{snapshot.url}>; rel="original"',
            "Content-Security-Policy": SNAPSHOT_CSP,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": f"public, max-age={FEED_MAX_AGE}",
            "X-Archive-Orig-Status": str(snapshot.status),
        }
        self._send(HTTPStatus.OK, headers, snapshot.body, send_body=send_body)

    def _not_modified(self, etag: str, mtime: int) -> bool:
        """RFC 9110 13.2.2: If-None-Match wins; If-Modified-Since only without it."""
        if (inm := self.headers.get("If-None-Match")) is not None:
            tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
            return "*" in tags or etag in tags
        if (ims := self.headers.get("If-Modified-Since")) is not None:
            try:
                since = email.utils.parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
            return since.timestamp() >= mtime
        return False

    def _send(self, status: HTTPStatus, headers: dict[str, str], body: bytes, *, send_body: bool) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != HTTPStatus.NOT_MODIFIED:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and body:
            self.wfile.write(body)

    def _error(self, status: HTTPStatus, message: str) -> None:
        body = (message + "\n").encode("utf-8")
        self._send(status, {"Content-Type": "text/plain; charset=utf-8"}, body, send_body=self.command != "HEAD")

    def log_message(self, format: str, *args: Any) -> None:
        logger.info("%s %s", self.address_string(), format % args)


def _http_date(warc_date: str) -> str:
    from datetime import datetime

    return email.utils.format_datetime(datetime.fromisoformat(warc_date.replace("Z", "+00:00")), usegmt=True)


def make_server(data_dir: Path, host: str, port: int, health: HealthProvider | None = None,
                snapshots: SnapshotProvider | None = None, search: SearchProvider | None = None) -> ThreadingHTTPServer:
    # staticmethod: a plain function stored on the class must not be bound to the handler.
    attributes = {"root": data_dir.resolve(), "health": staticmethod(health) if health else None,
                  "snapshots": staticmethod(snapshots) if snapshots else None,
                  "search": staticmethod(search) if search else None}
    handler = type("Handler", (PublishedTreeHandler,), attributes)
    return ThreadingHTTPServer((host, port), handler)

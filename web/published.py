"""The published tree as feed readers use it: /feeds/… and /media/….

Feeds get strong ETags (a digest of the bytes answered, so an export that rewrites a file unchanged
keeps its tag), Last-Modified, 304 answers and RSSHub-style query filters
(?limit=&filter=&filterout=&filter_title=&category=); media, named by their content, are cached
for good. Compression is GzipETagMiddleware's (Starlette's, with the ETag kept correct).
"""

from __future__ import annotations

import email.utils
import hashlib
import mimetypes
import os
from pathlib import Path
from urllib.parse import parse_qs

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from exporters.filters import FeedFilter, FilterError
from exporters.publish import CONTENT_TYPES, FEED_MAX_AGE

MEDIA_MAX_AGE = 31_536_000  # media files are named by their content and never change
GZIP_SUFFIX = "-gzip"  # what a strong ETag gets on a gzip-coded answer (as Apache's mod_deflate does)


def _tags(header: str) -> list[str]:
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def not_modified(request_headers: Headers, etag: str, mtime: float) -> bool:
    """RFC 9110 13.2.2: If-None-Match wins (weak comparison; a gzip answer's tag names the same
    bytes); If-Modified-Since only without it."""
    if (inm := request_headers.get("if-none-match")) is not None:
        tags = [t.removesuffix(GZIP_SUFFIX + '"') + '"' if t.endswith(GZIP_SUFFIX + '"') else t for t in _tags(inm)]
        return "*" in tags or etag in tags
    if (ims := request_headers.get("if-modified-since")) is not None:
        try:
            since = email.utils.parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        return since.timestamp() >= int(mtime)
    return False


class FeedFiles:
    """GET /feeds/PATH: a published feed document, filtered when the query asks."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _resolve(self, relative: str) -> Path | None:
        tree = self.root / "feeds"
        target = (tree / relative).resolve()
        if not relative or relative.endswith("/") or not target.is_relative_to(tree) or not target.is_file():
            return None  # no way out of the published tree (../), and directories are not listed
        return target

    def endpoint(self, request: Request) -> Response:
        target = self._resolve(request.path_params["path"])
        if target is None:
            return PlainTextResponse("not found\n", status_code=404)
        suffix = target.suffix.lower()
        try:
            body = target.read_bytes()
            mtime = target.stat().st_mtime
            if request.url.query and suffix in (".atom", ".rss", ".json"):
                feed_filter = FeedFilter.from_query(parse_qs(request.url.query))
                if feed_filter.active:
                    body = feed_filter.apply(body, suffix[1:])
        except FilterError as exc:
            return PlainTextResponse(f"{exc}\n", status_code=400)
        except OSError:
            return PlainTextResponse("not found\n", status_code=404)
        headers = {
            "ETag": '"' + hashlib.sha256(body).hexdigest()[:32] + '"',
            "Last-Modified": email.utils.formatdate(int(mtime), usegmt=True),
            "Cache-Control": f"public, max-age={FEED_MAX_AGE}",
        }
        if not_modified(request.headers, headers["ETag"], mtime):
            # (On a full answer the gzip middleware adds Vary; a 304 has no body for it to look at.)
            return Response(status_code=304, headers={**headers, "Vary": "Accept-Encoding"})
        content_type = CONTENT_TYPES.get(suffix) or mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return Response(body, headers=headers, media_type=content_type)


class MediaFiles(StaticFiles):
    """GET /media/PATH: Starlette's static files (ranges, 304s, no way out of the tree), cached for good."""

    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = f"public, max-age={MEDIA_MAX_AGE}, immutable"
        return response


class GzipETagMiddleware:
    """Starlette's GZipMiddleware, and a strong ETag that stays true: a gzip-coded answer is other bytes
    than the identity one, so its tag gets a suffix (RFC 9110 8.8.3), and a 304 confirming the gzip
    copy a client holds answers with the tag that client sent."""

    def __init__(self, app: ASGIApp, minimum_size: int = 500) -> None:
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size, compresslevel=6)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.gzip(scope, receive, send)
            return
        held = _tags(Headers(scope=scope).get("if-none-match", ""))

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=message["headers"])
                etag = headers.get("etag")
                if etag and etag.startswith('"') and not etag.endswith(GZIP_SUFFIX + '"'):
                    gzip_tag = etag[:-1] + GZIP_SUFFIX + '"'
                    if headers.get("content-encoding") == "gzip" or (message["status"] == 304 and gzip_tag in held):
                        headers["etag"] = gzip_tag
            await send(message)

        await self.gzip(scope, receive, tagged)

"""The ASGI app (Starlette): the published tree, /health, snapshots and the pages.

Read-only: every route is a GET (HEAD too). Every answer carries a Content-Security-Policy: the pages'
allows our own scripts (htmx), styles and pictures and nothing else; archived pages get a sandboxing
one of their own (web/replay.py). Nothing redirects.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crawler.archive.snapshots import PREFIX as SNAPSHOT_PREFIX
from crawler.archive.snapshots import SnapshotNotFound, timestamp14
from exporters.publish import FEED_MAX_AGE
from web.context import WebContext, snapshot_target
from web.pages import Pages
from web.published import FeedFiles, GzipETagMiddleware, MediaFiles
from web.replay import RAW_SNAPSHOT_CSP, SNAPSHOT_CSP, SnapshotRewriter, is_html
from web.search import api

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
# The pages: our own scripts, styles and pictures; snapshots only in our own frames; no one frames us.
APP_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
           "frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


class SecurityHeaders:
    """A CSP on every answer that has none of its own, and no MIME sniffing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=message["headers"])
                headers.setdefault("Content-Security-Policy", APP_CSP)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
            await send(message)

        await self.app(scope, receive, secured)


def http_date(warc_date: str) -> str:
    return format_datetime(datetime.fromisoformat(warc_date.replace("Z", "+00:00")), usegmt=True)


class Snapshots:
    """/web/TIMESTAMP/URL: an HTML capture rewritten to replay from the archive (web/replay.py);
    /web/TIMESTAMPid_/URL, and every other payload, exactly as it was sent."""

    def __init__(self, context: WebContext) -> None:
        self.context = context

    def resolver(self, page_time: str) -> Callable[[str], str | None]:
        store = self.context.store()
        local_media = not self.context.config.settings.media_store

        def resolve(url: str) -> str | None:
            if store is None:
                return None
            if local_media and (stored := store.media_at(url)) is not None:
                return f"/media/{stored.path}"
            refs = store.captures_at(url)
            if not refs:
                return None
            wanted = int(page_time.ljust(14, "0"))
            ref = min(refs, key=lambda r: (abs(int(timestamp14(r["captured_at"])) - wanted), r["captured_at"]))
            return f"/{SNAPSHOT_PREFIX}{timestamp14(ref['captured_at'])}/{url}"

        return resolve

    def endpoint(self, request: Request) -> Response:
        if self.context.snapshots is None:
            return PlainTextResponse("not found\n", status_code=404)
        timestamp, url = snapshot_target(request.scope)
        raw = timestamp.endswith("id_")
        timestamp = timestamp.removesuffix("id_")
        try:
            snapshot = self.context.snapshots(timestamp, url)
        except SnapshotNotFound as exc:
            return PlainTextResponse(f"{exc}\n", status_code=404)
        except Exception:
            logger.exception("reading the snapshot of %s failed", url)
            return PlainTextResponse("the archive could not be read; see the server log\n", status_code=502)
        body, content_type, policy = snapshot.body, snapshot.content_type, RAW_SNAPSHOT_CSP
        if not raw and is_html(snapshot.content_type):
            stamp = timestamp14(snapshot.captured_at)
            rewriter = SnapshotRewriter(snapshot.url, self.resolver(stamp),
                                        lambda link: f"/{SNAPSHOT_PREFIX}{stamp}/{link}")
            body, content_type, policy = rewriter.rewrite(snapshot.body, snapshot.content_type), \
                "text/html; charset=utf-8", SNAPSHOT_CSP
        headers = {
            "Memento-Datetime": http_date(snapshot.captured_at),
            "Link": f'<{snapshot.url}>; rel="original"',
            "Content-Security-Policy": policy,
            "Cache-Control": f"public, max-age={FEED_MAX_AGE}",
            "X-Archive-Orig-Status": str(snapshot.status),
        }
        return Response(body, headers=headers, media_type=content_type)


def health_route(context: WebContext) -> Callable[[Request], Response]:
    def health(request: Request) -> Response:
        if context.health is None:
            return PlainTextResponse("not found\n", status_code=404)
        try:
            document = context.health()
        except Exception:
            logger.exception("building /health failed")
            return PlainTextResponse("health report failed; see the server log\n", status_code=500)
        return Response(json.dumps(document, ensure_ascii=False, indent=2), media_type="application/json",
                        headers={"Cache-Control": "no-store"})

    return health


def search_route(context: WebContext) -> Callable[[Request], Response]:
    """GET /api/search?q=…&source=…&category=…&since=…&until=…&limit=… (web/search.py answers)."""
    def search(request: Request) -> Response:
        store = context.store()
        if store is None:
            status, document = 404, {"error": "nothing archived yet"}
        else:
            params = {key: request.query_params.getlist(key) for key in request.query_params}
            status, document = api(store, params)
        return Response(json.dumps(document, ensure_ascii=False), status_code=status, media_type="application/json",
                        headers={"Cache-Control": "no-store"})

    return search


def create_app(context: WebContext) -> ASGIApp:
    pages = Pages(context)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        context.close()

    routes = [
        Route("/", pages.stories, name="stories"),
        Route("/stories/{key}", pages.story, name="story"),
        Route("/sources", pages.sources, name="sources"),
        Route("/feeds", pages.feeds, name="feeds"),
        Route("/feeds.opml", pages.opml, name="opml"),
        Route("/replay/{rest:path}", pages.replay, name="replay"),
        Route("/search", pages.search, name="search"),
        Route("/api/search", search_route(context), name="api-search"),
        Route("/health", health_route(context), name="health"),
        Route("/feeds/{path:path}", FeedFiles(context.data).endpoint, name="feed"),
        Route("/" + SNAPSHOT_PREFIX + "{rest:path}", Snapshots(context).endpoint, name="snapshot"),
        Mount("/media", MediaFiles(directory=context.data / "media", check_dir=False), name="media"),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.router.redirect_slashes = False  # nothing redirects: no open redirect to build from a path
    return SecurityHeaders(GzipETagMiddleware(app))


def now() -> datetime:
    return datetime.now(UTC)

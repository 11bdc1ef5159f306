"""How each demo host answers a request, independent of sockets (the server only sends the result).

Pages are templates under ``site/<host>/<path>`` (a path ending in "/" serves its ``index.html``).
``ROUTES`` lists the paths that need more than "render the file as UTF-8": other encodings,
feed content types, gzip, redirects, delays.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .aggregators import AggregatorRoutes
from .hostile import HostileRoutes
from .images import (
    IMAGES,
    ODD_IMAGES,
    SITE_IMAGES,
    WECHAT_IMAGES,
    hotlink_owner,
    odd_image_body,
    png_bytes,
    wechat_placeholder,
)
from .poisoned import PoisonedRoutes

SITE_DIR = Path(__file__).parent / "site"

# Every template claims this modification time, so conditional GETs (If-Modified-Since) can be tested.
LAST_MODIFIED = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

# What each host says it runs: WARC records and logs then look like real, distinct servers.
SERVER_NAMES: dict[str, str] = {
    "qutoutiao": "Tengine",
    "zaker": "nginx/1.24.0",
    "cyol": "Apache",
    "gbknews": "Microsoft-IIS/7.5",
    "img": "JSP3/2.0.14",
    "mmbiz": "NWS_SPMid",
    "broken": "demoweb-broken",
    "kuaixun": "openresty",
}

# Headers a host adds to every answer. ZAKER sets two cookies so archivers must keep repeated headers.
HOST_HEADERS: dict[str, tuple[tuple[str, str], ...]] = {
    "zaker": (
        ("Set-Cookie", "zaker_uid=7f3a9c21e0b84d5f; Path=/; Max-Age=31536000"),
        ("Set-Cookie", "Hm_lvt_zaker=1795400000; Path=/"),
    ),
}

_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".shtml": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}

ROBOTS_TXT = "User-agent: *\nAllow: /\n"

NOT_FOUND_HTML = (
    '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>404 Not Found</title></head>\n'
    "<body><h1>404 Not Found</h1><p>您访问的页面不存在或已被删除。</p></body></html>\n"
)

FORBIDDEN_HTML = (
    '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>403 Forbidden</title></head>\n'
    "<body><h1>403 Forbidden</h1><p>禁止盗链</p></body></html>\n"
)


@dataclass(frozen=True)
class Route:
    """How one special path is answered (anything not set behaves like a plain template)."""

    content_type: str | None = None  # None: from the file's extension
    encoding: str = "utf-8"  # the rendered template is sent in this encoding
    gzip: bool = False  # gzip the body when the client accepts it
    chunked: bool = False  # Transfer-Encoding: chunked (HTTP/1.1 clients only)
    redirect: str | None = None  # answer `status` with this path (on the same host) as Location
    status: int = 200
    delay: float = 0.0  # seconds to wait before answering
    body: str | None = None  # an inline body instead of a template file
    cut_after: int | None = None  # send only this many body bytes, then drop the connection


_HTML = "text/html; charset=utf-8"
_RSS = "application/rss+xml; charset=utf-8"
# A page of about 1 MiB: more than a crawl with a small DOWNLOAD_MAXSIZE accepts.
_HUGE = "<!DOCTYPE html><title>huge</title>\n" + "<p>一段很长很长的正文。</p>\n" * 40_000

ROUTES: dict[tuple[str, str], Route] = {
    ("qutoutiao", "/rss/tech.xml"): Route(content_type=_RSS, gzip=True),
    # Deliberately truncated mid-item: not well-formed XML.
    ("qutoutiao", "/rss/broken.xml"): Route(content_type=_RSS),
    ("qutoutiao", "/go/1782050213"): Route(redirect="/detail/2026/11/22/1782050213.html", status=301),
    # nginx streaming a generated feed: no Content-Length.
    ("zaker", "/feed.atom"): Route(content_type="application/atom+xml; charset=utf-8", chunked=True),
    ("cyol", "/feed.json"): Route(content_type="application/feed+json; charset=utf-8"),
    # GBK bytes; the charset is only in the page's <meta http-equiv> (which says gb2312).
    ("gbknews", "/news/118734.shtml"): Route(content_type="text/html", encoding="gbk"),
    # GBK bytes; the charset is only in the HTTP header.
    ("gbknews", "/news/118752.shtml"): Route(content_type="text/html; charset=GBK", encoding="gbk"),
    ("gbknews", "/"): Route(content_type="text/html; charset=GBK", encoding="gbk"),
    ("broken", "/slow"): Route(
        content_type=_HTML, delay=3.0, body="<!DOCTYPE html><title>slow</title><p>终于加载完了。</p>\n"
    ),
    ("broken", "/loop"): Route(redirect="/loop2", status=302),
    ("broken", "/loop2"): Route(redirect="/loop", status=302),
    ("broken", "/empty"): Route(content_type=_HTML, body=""),
    ("broken", "/notfeed.xml"): Route(content_type=_RSS),
    # A picture that takes longer than the demo's image_timeout.
    ("broken", "/slow.jpg"): Route(content_type="image/jpeg", delay=5.0, body=""),
    ("broken", "/huge"): Route(content_type=_HTML, body=_HUGE, chunked=True),  # streamed: no length up front
    ("broken", "/huge-declared"): Route(content_type=_HTML, body=_HUGE),  # Content-Length says 1 MiB
    ("broken", "/dropped"): Route(content_type=_HTML, body=("<p>dropped</p>\n" * 1_500)[:20_000], cut_after=5_000),
}

# Pages for the list sources and the encoding traps (aggregators.py has the dynamic API answers).
ROUTES.update({
    # UTF-8 bytes that claim gb2312 in both the header and the <meta>: decode from the bytes.
    ("gbknews", "/news/118760.shtml"): Route(content_type="text/html; charset=gb2312"),
    # A soft 404: 200 with a "not found" notice where the article should be.
    ("gbknews", "/news/118799.shtml"): Route(content_type="text/html; charset=GBK", encoding="gbk"),
    # The list pages: GBK, the charset only in the <meta> (page 1) or nowhere but the bytes (page 2).
    ("gbknews", "/list/"): Route(content_type="text/html", encoding="gbk"),
    ("gbknews", "/list/index_2.shtml"): Route(content_type="text/html", encoding="gbk"),
    # The JavaScript-only list page fetches its items from here.
    ("cyol", "/app/list.json"): Route(content_type="application/json; charset=utf-8"),
})


@dataclass
class Response:
    """What the server sends: status, headers in order (names may repeat), body."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    delay: float = 0.0
    chunked: bool = False
    cut_after: int | None = None  # drop the connection after this many body bytes
    endless: bool = False  # chunked, the body sent again and again until the client hangs up


def accepts_gzip(accept_encoding: str | None) -> bool:
    """True when an Accept-Encoding header allows gzip (``q=0`` refuses; an explicit gzip beats ``*``)."""
    qualities: dict[str, float] = {}
    for item in (accept_encoding or "").split(","):
        coding, _, params = item.partition(";")
        name, _, value = params.strip().partition("=")
        qualities[coding.strip().lower()] = _quality(value) if name.strip().lower() == "q" else 1.0
    for coding in ("gzip", "x-gzip", "*"):
        if coding in qualities:
            return qualities[coding] > 0
    return False


def _quality(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 1.0


def _not_modified(headers: Mapping[str, str], etag: str) -> bool:
    """RFC 9110: If-None-Match wins over If-Modified-Since."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return etag in tags or "*" in tags
    since = headers.get("if-modified-since")
    if since:
        try:
            return parsedate_to_datetime(since) >= LAST_MODIFIED
        except (TypeError, ValueError):
            return False  # an unparsable date is ignored, as the RFC says
    return False


class Site:
    """Answers requests for every host; ``render`` fills ``{{host:NAME}}``, ``base_url`` names a host."""

    def __init__(self, render: Callable[[str], str], base_url: Callable[[str], str]) -> None:
        self._render = render
        self._base_url = base_url
        self._aggregators = AggregatorRoutes(render, base_url)
        self._hostile = HostileRoutes(render, base_url)
        self.poisoned = PoisonedRoutes(base_url)  # public: a test moves its evolving feed on

    def respond(self, host: str, target: str, headers: Mapping[str, str]) -> Response:
        """Answer a GET for ``target`` (path and query) on ``host``; ``headers`` have lower-case names."""
        path = unquote(urlsplit(target).path) or "/"
        dynamic = self._aggregators.answer(host, target)
        if dynamic is None and host == "broken":
            dynamic = self._hostile.answer(path, target) or self.poisoned.answer(path, target)
        if dynamic is not None:
            status, extra, body = dynamic
            endless = host == "broken" and path == "/hostile/endless"
            response = Response(status, extra, body, chunked=endless, endless=endless)
        else:
            response = self._dispatch(host, path, headers)
        response.headers.extend(HOST_HEADERS.get(host, ()))
        return response

    def _dispatch(self, host: str, path: str, headers: Mapping[str, str]) -> Response:
        if path == "/robots.txt":
            return self._ok(ROBOTS_TXT.encode(), "text/plain; charset=utf-8", headers)
        if host == "img":
            return self._image(path, headers)
        if host == "mmbiz":
            spec = WECHAT_IMAGES.get(path)
            if spec is None:
                return self._not_found()
            # Like mmbiz.qpic.cn: any Referer but WeChat's own gets a stock "not allowed" picture, with 200.
            body = wechat_placeholder() if headers.get("referer") else png_bytes(spec)
            return self._ok(body, "image/png", headers, cache=True)
        if (host, path) in SITE_IMAGES:
            return self._ok(png_bytes(SITE_IMAGES[host, path]), "image/png", headers, cache=True)

        route = ROUTES.get((host, path), Route())
        if route.redirect is not None:
            return self._redirect(route.status, self._base_url(host) + route.redirect)
        if route.body is not None:
            text = route.body
            content_type = route.content_type or _HTML
        else:
            file = _template(host, path)
            if file is None:
                if _template(host, path + "/") is not None:
                    # Like nginx for a directory: add the slash.
                    return self._redirect(301, self._base_url(host) + path + "/")
                return self._not_found()
            text = self._render(file.read_text(encoding="utf-8"))
            content_type = route.content_type or _TYPES.get(file.suffix, "application/octet-stream")
        response = self._ok(
            text.encode(route.encoding),
            content_type,
            headers,
            compress=route.gzip,
        )
        response.delay = route.delay
        response.chunked = route.chunked and response.status == 200
        response.cut_after = route.cut_after if response.status == 200 else None
        return response

    def _image(self, path: str, headers: Mapping[str, str]) -> Response:
        """The image CDN: hotlink-protected by Referer (``HOTLINK_OWNERS``), then the picture."""
        referer = headers.get("referer")
        owner = hotlink_owner(path)
        if referer and owner is not None:
            parts = urlsplit(referer)
            if f"{parts.scheme}://{parts.netloc}" not in (self._base_url(owner), self._base_url("img")):
                return Response(403, [("Content-Type", _HTML)], FORBIDDEN_HTML.encode())
        if path in ODD_IMAGES:
            return self._ok(odd_image_body(path), ODD_IMAGES[path].content_type, headers, cache=True)
        spec = IMAGES.get(path)
        if spec is None:
            return self._not_found()
        return self._ok(png_bytes(spec), "image/png", headers, cache=True)

    @staticmethod
    def _ok(
        body: bytes,
        content_type: str,
        headers: Mapping[str, str],
        *,
        compress: bool = False,
        cache: bool = False,
    ) -> Response:
        etag = f'"{hashlib.sha1(body).hexdigest()[:16]}"'
        use_gzip = compress and accepts_gzip(headers.get("accept-encoding"))
        if use_gzip:
            etag = etag[:-1] + '-gzip"'  # a different representation needs its own strong ETag
        out = [
            ("Content-Type", content_type),
            ("Last-Modified", format_datetime(LAST_MODIFIED, usegmt=True)),
            ("ETag", etag),
        ]
        if compress:
            out.append(("Vary", "Accept-Encoding"))
        if cache:
            out.append(("Cache-Control", "public, max-age=2592000"))
        if _not_modified(headers, etag):
            return Response(304, [(name, value) for name, value in out if name != "Content-Type"])
        if use_gzip:
            body = gzip.compress(body, mtime=0)  # mtime=0: the same bytes on every request
            out.append(("Content-Encoding", "gzip"))
        return Response(200, out, body)

    @staticmethod
    def _redirect(status: int, location: str) -> Response:
        body = f'<!DOCTYPE html><title>Moved</title><p><a href="{location}">{location}</a></p>\n'
        return Response(status, [("Location", location), ("Content-Type", _HTML)], body.encode())

    @staticmethod
    def _not_found() -> Response:
        return Response(404, [("Content-Type", _HTML)], NOT_FOUND_HTML.encode())


def _template(host: str, path: str) -> Path | None:
    """The template file for a path, or None; never anything outside ``site/<host>/``."""
    parts = [part for part in path.split("/") if part]
    if any(part in ("..", ".") or "\\" in part for part in parts):
        return None
    file = SITE_DIR.joinpath(host, *parts)
    if path.endswith("/"):
        file = file / "index.html"
    return file if file.is_file() else None

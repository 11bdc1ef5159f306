"""The pages, rendered on the server with Jinja2 (web/templates); htmx (web/static) for the live parts:
the story list's "more" button and the sources table's refresh.

/ the stories, newest in the archive first, filtered by source, category and date; /stories/KEY every
copy of one story side by side with its diff against the representative; /sources the health
document as a table with each source's runs; /feeds every published feed, and /feeds.opml;
/replay/TIMESTAMP/URL an archived page in a sandboxed frame.
"""

from __future__ import annotations

import html
import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit
from zoneinfo import ZoneInfo

import nh3
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from crawler.archive.snapshots import PREFIX as SNAPSHOT_PREFIX
from crawler.archive.snapshots import timestamp14
from crawler.content.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from crawler.content.search import QueryError
from crawler.index import PostUrl
from exporters.plan import category_levels
from web.context import WebContext, snapshot_target
from web.diffs import TextDiff, text_diff
from web.opml import FeedLink, feeds_opml
from web.queries import media_paths, story_id_by_key, story_page
from web.search import filters_from, found

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
HEALTH_MAX_AGE = 10.0  # seconds the sources page may show a health document before it is made anew
DISPLAY_ZONE = ZoneInfo("Asia/Shanghai")  # the archive's readers and most of its sources are in China
DIFF_BUDGET = 0.5  # seconds of diffing per story page; copies past it say so instead of a diff
PAGE_LENGTH = 30  # stories per page; ?n= asks for 5 to 100
ROLE_NAMES = {"original": "原文", "aggregator": "聚合平台", "repost": "转载"}
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.DOTALL)


def _time(value: datetime | None) -> str:
    return value.astimezone(DISPLAY_ZONE).strftime("%Y-%m-%d %H:%M") if value else ""


def _iso_time(value: str | None) -> str:
    if not value:
        return ""
    try:
        return _time(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return value


def _http_url(value: str | None) -> str | None:
    """A URL that may be a link's href: http(s) only (no javascript: from an archived page)."""
    return value if value and urlsplit(value).scheme in ("http", "https") else None


def _replay_path(timestamp: str, url: str) -> str:
    return f"/replay/{timestamp}/{url}"


@dataclass(frozen=True)
class Copy:
    """One copy of a story: a post at a URL, with every source that showed it there."""

    sources: list[tuple[str, str]]  # (name, title)
    role: str
    url: str
    seen: datetime
    published: datetime | None
    snapshot: str | None  # /replay/… of its capture
    post_id: int
    is_representative: bool


class Pages:
    def __init__(self, context: WebContext) -> None:
        self.context = context
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(),
                               trim_blocks=True, lstrip_blocks=True, auto_reload=False)
        self.env.filters["time"] = _time
        self.env.filters["isotime"] = _iso_time
        self.env.filters["http_url"] = _http_url
        self.env.globals["ROLE_NAMES"] = ROLE_NAMES
        self._cache: dict[str, tuple[float, Any]] = {}
        self._health_lock = threading.Lock()
        self._health_document: tuple[float, dict[str, Any]] | None = None
        self._health_refreshing = False

    # -- helpers -----------------------------------------------------------------------------------

    def render(self, template: str, values: dict[str, Any], status_code: int = 200) -> HTMLResponse:
        return HTMLResponse(self.env.get_template(template).render(**values), status_code=status_code)

    def not_found(self, message: str) -> HTMLResponse:
        return self.render("error.html", {"title": "找不到", "message": message}, status_code=404)

    def _cached(self, name: str, seconds: float, compute: Any) -> Any:
        hit = self._cache.get(name)
        if hit is not None and time.monotonic() - hit[0] < seconds:
            return hit[1]
        value = compute()
        self._cache[name] = (time.monotonic(), value)
        return value

    def source_titles(self) -> dict[str, str]:
        return {name: source.title for name, source in self.context.config.sources.items()}

    def categories(self) -> dict[str, tuple[str, ...]]:
        """Each category path ("group/source/channel" levels) with the sources configured under it."""
        levels = category_levels({n: s.categories for n, s in self.context.config.sources.items()})
        return {"/".join(path): sources for path, sources in levels.items()}

    def role(self, source: str, role: str) -> str:
        if role == "original":
            return "original"
        configured = self.context.config.sources.get(source)
        return "aggregator" if configured is None or configured.aggregator else "repost"

    # -- / -----------------------------------------------------------------------------------------

    def stories(self, request: Request) -> Response:
        store = self.context.store()
        params = request.query_params
        source, category, day = params.get("source", ""), params.get("category", ""), params.get("date", "")
        filters = {k: v for k, v in (("source", source), ("category", category), ("date", day)) if v}
        errors = []
        sources: list[str] | None = None
        if source:
            sources = [source]
        if category:
            under = self.categories().get(category)
            if under is None:
                errors.append(f"没有这个分类：{category}")
                under = ()
            sources = [s for s in under if sources is None or s in sources]
        since = until = None
        if day:
            try:
                start = datetime.combine(date.fromisoformat(day), datetime.min.time(), DISPLAY_ZONE)
                since, until = start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)
            except ValueError:
                errors.append(f"日期应为 YYYY-MM-DD：{day}")
        length = PAGE_LENGTH
        if (wanted := params.get("n", "")).isdigit():
            length = min(max(int(wanted), 5), 100)
            filters["n"] = str(length)
        cursors = {}
        for name in ("before", "after"):
            if (value := params.get(name)) is not None:
                if not value.isdigit():
                    return self.not_found(f"{name} 应为数字")
                cursors[name] = int(value)
        if store is None:
            page = None
        else:
            page = story_page(store.engine, length=length, sources=sources, since=since, until=until,
                              **cursors)
        known_sources = self._cached("feed_sources", 60, store.feed_sources) if store is not None else []
        values = {
            "title": "故事", "page": page, "filters": filters, "errors": errors,
            "sources": sorted(set(known_sources) | set(self.context.config.sources)),
            "categories": sorted(self.categories()), "titles": self.source_titles(),
            "older_url": "/?" + urlencode({**filters, "before": page.older}) if page and page.older else None,
            "newer_url": "/?" + urlencode({**filters, "after": page.newer}) if page and page.newer else None,
        }
        if request.headers.get("HX-Request") == "true":
            return self.render("_story_rows.html", values)  # the next rows and the next "more" button
        return self.render("stories.html", values)

    # -- /stories/KEY ------------------------------------------------------------------------------

    def story(self, request: Request) -> Response:
        store = self.context.store()
        key = request.path_params["key"]
        story_id = story_id_by_key(store.engine, key) if store is not None else None
        loaded = store.load_stories([story_id]) if store is not None and story_id is not None else []
        if store is None or not loaded:
            return self.not_found(f"没有这个故事：{key}")
        story = loaded[0]
        representative = story.representative
        titles = self.source_titles()
        copies: list[Copy] = []
        for post in story.posts:
            by_url: dict[str, list[PostUrl]] = {}
            for sighting in post.urls:
                by_url.setdefault(sighting.url, []).append(sighting)
            for url, sightings in by_url.items():
                ref = next((c for c in post.captures if c["url"] == url), None)
                roles = {self.role(s.source, s.role) for s in sightings}
                copies.append(Copy(
                    sources=[(s.source, titles.get(s.source, s.source)) for s in sightings],
                    role=next(r for r in ("original", "repost", "aggregator") if r in roles), url=url,
                    seen=min(s.first_seen for s in sightings), published=post.published, post_id=post.id,
                    is_representative=post.id == representative.id,
                    snapshot=_replay_path(timestamp14(ref["captured_at"]), ref["url"]) if ref else None))
        diffs: dict[int, TextDiff] = {}
        deadline = time.monotonic() + DIFF_BUDGET
        for post in story.posts:
            if post.id != representative.id and time.monotonic() < deadline:
                diffs[post.id] = text_diff(representative.text, post.text)
        pictures = media_paths(store.engine, [representative.id]).get(representative.id, [])
        return self.render("story.html", {
            "title": representative.title, "story": story, "copies": copies, "diffs": diffs,
            "posts": {p.id: p for p in story.posts}, "body": self.body(representative.body_html),
            "lead": pictures[0][0] if pictures else None,
            "sources": sorted({name for c in copies for name, _title in c.sources})})

    def body(self, body_html: str) -> Markup:
        """A post's sanitised body, once more through the allow-list, pictures only from our own /media/."""
        media_url = self.context.config.settings.media_url
        local = not self.context.config.settings.media_store

        def attribute(element: str, name: str, value: str) -> str | None:
            if element == "img" and name == "src":
                if local and value.startswith(media_url):
                    return "/media/" + value[len(media_url):]
                return None  # a picture not archived here would be fetched from the live web
            if element == "img" and name in ("data-original-src", "referrerpolicy"):
                return None
            return value

        return Markup(nh3.clean(body_html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                                url_schemes={"http", "https"}, attribute_filter=attribute,
                                link_rel="noopener noreferrer nofollow"))

    # -- /sources ----------------------------------------------------------------------------------

    def _compute_health(self) -> dict[str, Any]:
        if self.context.health is not None:
            return self.context.health()
        from schedules.health import health_document

        return health_document(self.context.config, [], self.context.store(), jobs={})

    def health(self) -> dict[str, Any]:
        """The health document, at most HEALTH_MAX_AGE seconds old: counting every source's posts takes
        the index store a scan (half a second at 100k stories), so the page shows the last document and
        a background thread makes the next one (stale-while-revalidate); only the first request waits."""
        with self._health_lock:
            current = self._health_document
            stale = current is None or time.monotonic() - current[0] > HEALTH_MAX_AGE
            refresh = stale and not self._health_refreshing
            if refresh and current is not None:
                self._health_refreshing = True
        if current is None:
            document = self._compute_health()
            with self._health_lock:
                self._health_document = (time.monotonic(), document)
            return document
        if refresh:
            threading.Thread(target=self._refresh_health, name="web-health", daemon=True).start()
        return current[1]

    def _refresh_health(self) -> None:
        try:
            document = self._compute_health()
            with self._health_lock:
                self._health_document = (time.monotonic(), document)
        except Exception:
            logger.exception("refreshing the health document failed; the page shows the last one")
        finally:
            with self._health_lock:
                self._health_refreshing = False

    def sources(self, request: Request) -> Response:
        store = self.context.store()
        document = self.health()
        runs = store.recent_runs(10) if store is not None else {}
        values = {"title": "来源", "health": document, "runs": runs, "rows": sorted(document["sources"].items())}
        if request.headers.get("HX-Request") == "true":
            return self.render("_sources_table.html", values)
        return self.render("sources.html", values)

    # -- /search -----------------------------------------------------------------------------------

    def search(self, request: Request) -> Response:
        """The search box and its hits (web/search.py, as `feedarchiver search` answers)."""
        params = {key: request.query_params.getlist(key) for key in request.query_params}
        one = {key: (request.query_params.get(key) or "").strip() for key in ("q", "source", "category", "since",
                                                                              "until")}
        values: dict[str, Any] = {"title": "搜索", **one, "results": [], "error": None,
                                  "sources": sorted((n, s.title) for n, s in self.context.config.sources.items())}
        store = self.context.store()
        if one["q"]:
            if store is None:
                values["error"] = "还没有存档"
            else:
                try:
                    hits = found(store, one["q"], filters_from(params), 30)
                except QueryError as exc:  # said on the page, beside the box to try again
                    values["error"] = str(exc)
                    return self.render("search.html", values)
                values["results"] = [{**hit, "pieces": _pieces(hit["snippet"], hit["highlights"])} for hit in hits]
        return self.render("search.html", values)

    # -- /feeds, /feeds.opml -----------------------------------------------------------------------

    def feed_links(self, base: str) -> list[tuple[FeedLink, dict[str, str]]]:
        """Every published subscription document (archive pages left out), with its other formats."""
        feeds_dir = self.context.data / "feeds"
        config = self.context.config
        found: list[tuple[FeedLink, dict[str, str]]] = []
        for atom in sorted(feeds_dir.rglob("*.atom")) if feeds_dir.is_dir() else []:
            relative = atom.relative_to(feeds_dir)
            if relative.parts[0] == "archive":
                continue
            stem = relative.with_suffix("").as_posix()
            formats = {ext: f"{base}/feeds/{quote(stem)}.{ext}" for ext in ("atom", "rss", "json")
                       if (feeds_dir / f"{stem}.{ext}").is_file()}
            path: tuple[str, ...] = ()
            if relative.parts[0] == "sources" and (source := config.sources.get(atom.stem)) is not None:
                path = source.categories
            elif relative.parts[0] == "categories":
                path = relative.with_suffix("").parts[1:]
            found.append((FeedLink(url=formats["atom"], title=self._title(atom), folder=path[0] if path else "",
                                   category="/" + "/".join(path) if path else ""), formats))
        return found

    def _title(self, path: Path) -> str:
        stat = path.stat()
        key = f"title:{path}:{stat.st_mtime_ns}"
        if (hit := self._cache.get(key)) is not None:
            return str(hit[1])
        with path.open("rb") as handle:
            match = _TITLE.search(handle.read(8192))
        title = html.unescape(match.group(1).decode("utf-8", "replace")).strip() if match else path.stem
        self._cache[key] = (0.0, title)
        return title

    def _base(self, request: Request) -> str:
        configured = self.context.config.settings.public_base_url
        return configured.rstrip("/") if configured else str(request.base_url).rstrip("/")

    def feeds(self, request: Request) -> Response:
        return self.render("feeds.html", {"title": "订阅", "feeds": self.feed_links(self._base(request))})

    def opml(self, request: Request) -> Response:
        links = [link for link, _formats in self.feed_links(self._base(request))]
        body = feeds_opml(links, self.context.config.settings.feed_title)
        return Response(body, media_type="text/x-opml; charset=utf-8",
                        headers={"Content-Disposition": 'inline; filename="feeds.opml"'})

    # -- /replay/TIMESTAMP/URL ---------------------------------------------------------------------

    def replay(self, request: Request) -> Response:
        scope = dict(request.scope)
        raw = (scope.get("raw_path") or b"").replace(b"/replay/", b"/" + SNAPSHOT_PREFIX.encode(), 1)
        scope["raw_path"], scope["path"] = raw, "/" + SNAPSHOT_PREFIX
        timestamp, url = snapshot_target(scope)
        if not timestamp.isdigit() or _http_url(url) is None:
            return self.not_found("快照地址应为 /replay/时间戳/网址")
        store = self.context.store()
        captures = store.captures_at(url) if store is not None else []
        if not captures:
            return self.not_found(f"没有存档：{url}")
        return self.render("replay.html", {
            "title": f"快照 · {url}", "url": url, "timestamp": timestamp,
            "frame": f"/{SNAPSHOT_PREFIX}{timestamp}/{url}",
            "raw": f"/{SNAPSHOT_PREFIX}{timestamp}id_/{url}",
            "captures": [(timestamp14(c["captured_at"]), c["captured_at"]) for c in captures]})


def _pieces(text: str, marks: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """A snippet cut at its highlights: (text, marked) pieces in order, each escaped by the template."""
    pieces, at = [], 0
    for start, end in marks:
        if start > at:
            pieces.append((text[at:start], False))
        pieces.append((text[start:end], True))
        at = end
    if at < len(text):
        pieces.append((text[at:], False))
    return pieces

"""What every source spider shares: its configured sources, per-source error accounting, blocking
and back-off, browser rendering, and the step from a fetched article page to a PostItem (plus the
follow to the original it names)."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawler.config import SourceConfig, load_config
from crawler.content.encoding import decode_html
from crawler.content.extract import Article, extract_article
from crawler.content.pagecheck import soft_404
from crawler.errors import ConfigError, ExtractionError
from crawler.exceptions import WafChallenge, fetch_error_kind
from crawler.items import PostItem, Role, WarcRef
from crawler.meta import WARC_REFS
from crawler.net.frontier import SharedClaims, job_prefix, redis_client
from crawler.workers import CpuPool, default_workers

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class EntryContext:
    """What the listing (feed entry, list row, API item) said about a post before it was fetched."""

    entry_id: str | None = None
    title: str | None = None
    author: str | None = None
    summary: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    source_name: str | None = None  # the publisher the listing names (来源, sourceName, author_name)
    original_url: str | None = None  # the original the listing names (sourceSite, raw_url)
    categories: tuple[str, ...] | None = None  # instead of the source's (adds a channel, e.g. a cid's name)
    stable_url: str | None = None  # index the post under this URL (the fetched one carries listing tokens)
    replaces: str | None = None  # the URL a post built from the feed entry was stored under (spiders/feed.py)


class SourceSpider(Spider):
    """Base of all source spiders. Subclasses declare ``name`` and ``kind``; checked at import."""

    kind: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not getattr(cls, "name", None) or not cls.kind:
            raise TypeError(f"{cls.__name__} must set both `name` and `kind`")

    def __init__(self, *args: Any, sources: str | list[SourceConfig] = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._requested = sources
        self.sources: list[SourceConfig] = []
        self._seen: set[bytes] = set()
        self.claims: SharedClaims | None = None  # shared with other processes (crawler/net/frontier.py)
        self.cpu = CpuPool(0)  # replaced in from_crawler by the configured pool
        self.blocked: dict[str, str] = {}  # source name -> WAF that challenged it in this crawl
        self.held: dict[str, datetime] = {}  # source name -> backing off until (set by SourceRunsExtension)
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SourceSpider:
        spider: SourceSpider = super().from_crawler(crawler, *args, **kwargs)
        spider.sources = spider._resolve_sources(crawler.settings.get("FEEDARCHIVER_CONFIG") or None)
        workers = crawler.settings.get("EXTRACT_WORKERS")
        spider.cpu = CpuPool(default_workers() if workers in (None, "", "auto") else int(workers))
        crawler.signals.connect(spider.cpu.close, signal=signals.spider_closed)
        if job := crawler.settings.get("FRONTIER_JOB"):
            spider.claims = SharedClaims(redis_client(crawler.settings.get("REDIS_URL")),
                                         f"{job_prefix(job)}{spider.name}:claims")
        return spider

    def _resolve_sources(self, config_path: str | None) -> list[SourceConfig]:
        requested = self._requested
        if isinstance(requested, list):
            chosen = requested
        else:
            config = load_config(config_path)
            names = [n.strip() for n in requested.split(",") if n.strip()]
            chosen = config.select(names) if names else [s for s in config.sources.values() if s.enabled]
            if not names:
                chosen = [s for s in chosen if s.kind == self.kind]
        wrong = [s.name for s in chosen if s.kind != self.kind]
        if wrong:
            raise ConfigError(f"spider {self.name!r} crawls kind {self.kind!r}; not {', '.join(wrong)}")
        if not chosen:
            raise ConfigError(f"no enabled sources of kind {self.kind!r} are configured")
        return chosen

    async def start(self) -> AsyncIterator[Any]:
        """Each startable source's first requests (its feeds, list pages, API pages, channels)."""
        for source in self.startable_sources():
            for request in self.first_requests(source):
                if request is not None:  # None: already asked, or the source is blocked
                    yield request

    def first_requests(self, source: SourceConfig) -> Iterator[Request | None]:
        """What a crawl of ``source`` starts with; each kind says."""
        raise NotImplementedError

    def now(self) -> datetime:
        """Anchors year-less and relative dates; golden-file tests fix it."""
        return self.clock()

    def startable_sources(self) -> Iterator[SourceConfig]:
        """The sources to start now: not backing off after a block, and with a browser when they need one."""
        for source in self.sources:
            if source.name in self.held:
                until = self.held[source.name].isoformat(timespec="seconds")
                self.crawler.stats.set_value(f"source/{source.name}/backing_off", until)
                logger.warning("[%s] blocked earlier: backing off until %s, not crawled", source.name, until)
                continue
            if source.browser and (missing := self.browser_missing()):
                self.count_error(source, "no_browser", "%s", missing)
                continue
            yield source

    def browser_missing(self) -> str | None:
        """Why pages cannot be rendered here, or None when the configured browser is installed."""
        options = self.crawler.settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS")
        executable = str(options.get("executable_path") or "")
        if executable and os.access(executable, os.X_OK):
            return None
        return (f"this source needs a browser, and none is installed at {executable or '(no path set)'}: "
                "install Chromium (apt-get install chromium) or set browser_executable in [settings]")

    # -- accounting ------------------------------------------------------------------------------

    def count_error(self, source: SourceConfig, kind: str, message: str, *args: Any) -> None:
        """One counted, logged failure for one source; the crawl goes on."""
        count_source_error(self.crawler.stats, source.name, kind, message, *args)

    def each_entry(self, source: SourceConfig, where: str, entries: Iterable[T],
                   handle: Callable[[T], Iterable[Any]], name: Callable[[T], Any] = repr) -> Iterator[Any]:
        """The outputs of ``handle`` for every entry of a listing (feed, list page, API answer), where one
        entry that raises is counted (``entry``) and skipped: the listing goes on."""
        for entry in entries:
            try:
                outputs = list(handle(entry))
            except Exception as exc:
                logger.exception("[%s] an entry of %s failed", source.name, where)
                self.count_error(source, "entry", "%s: %s in entry %.80s of %s", type(exc).__name__, exc,
                                 name(entry), where)
                continue
            yield from outputs

    def on_error(self, failure: Failure) -> None:
        """errback for every request: classify, count per source, never raise."""
        request: Request = failure.request  # type: ignore[attr-defined]  # Scrapy sets it on errback failures
        source: SourceConfig = request.cb_kwargs["source"]
        error = failure.value
        if isinstance(error, WafChallenge):
            self.block(source, error.waf, "%s", error)
            return
        kind, message = fetch_error_kind(error) if error is not None else ("fetch", "failed")
        if kind.startswith("http_") or request.url in message:
            self.count_error(source, kind, "%s", message)
        else:
            self.count_error(source, kind, "%s at %s", message, request.url)

    def block(self, source: SourceConfig, waf: str, message: str, *args: Any) -> None:
        """A WAF challenged this source: count it, and ask nothing more of it in this crawl.

        SourceRunsExtension records the block in the index, and the next crawls back off.
        """
        first = source.name not in self.blocked
        self.blocked.setdefault(source.name, waf)
        self.crawler.stats.set_value(f"source/{source.name}/blocked", waf)
        self.crawler.stats.inc_value(f"source/{source.name}/challenges")
        if first:
            self.count_error(source, "blocked", message, *args)
        else:
            logger.info("[%s] blocked again: %s", source.name, message % args if args else message)

    # -- requests --------------------------------------------------------------------------------

    def source_request(self, url: str, source: SourceConfig, callback: Any, *, render: bool | None = None,
                       errback: Any = None, claim: str | None = None, meta: dict[str, Any] | None = None,
                       **cb_kwargs: Any) -> Request | None:
        """A request on behalf of one source, once per (source, URL) in a crawl.

        Scrapy's own URL dupefilter is bypassed on purpose: an original both listed in its publisher's
        feed and followed from an aggregator's copy must count for both sources. A blocked source asks
        for nothing more. ``render`` (default: the source's ``browser``) fetches through Chromium.
        ``claim`` names the request for that once-check when its URL carries a per-call token.
        """
        key = claim or url
        if not _is_http_url(url):
            # javascript:, urn:, a relative id: never a request (Scrapy would raise in the spider's generator).
            self.count_error(source, "bad_url", "%.200s is not an http(s) URL; not requested", url)
            return None
        if source.name in self.blocked:
            self.crawler.stats.inc_value(f"source/{source.name}/skipped_blocked")
            return None
        if self.claims is not None:
            # N processes share the frontier: the first to claim the pair schedules it (held in Redis,
            # so this process's memory does not grow with the crawl either).
            if not self.claims.claim(source.name, key):
                self.crawler.stats.inc_value("frontier/claimed_elsewhere")
                return None
        else:
            # A 16-byte digest per pair rather than the strings: a third of the memory on a long crawl.
            seen = hashlib.blake2b(f"{source.name} {key}".encode(), digest_size=16).digest()
            if seen in self._seen:
                return None
            self._seen.add(seen)
        meta = dict(meta or {})
        if source.browser if render is None else render:
            # scrapy-playwright's handler renders only requests that carry this key (crawler/net/browser.py).
            meta["playwright"] = True
            # Lists drawn from XHR data appear after "load": wait until the network has been quiet.
            meta["playwright_page_goto_kwargs"] = {"wait_until": "networkidle"}
        return Request(url, callback=callback, errback=errback or self.on_error, dont_filter=True, meta=meta,
                       cb_kwargs={"source": source, **cb_kwargs})

    # -- article pages ---------------------------------------------------------------------------

    async def parse_article(self, response: Response, source: SourceConfig, entry: EntryContext,
                            via_url: str | None = None) -> AsyncIterator[PostItem | Request]:
        """A fetched article page: one PostItem, and a request for the original it names."""
        article = await self.extract(response, source)
        if article is None:
            return
        url = entry.stable_url if entry.stable_url and via_url is None else response.url
        item = self.post_item(article, url, source, entry, list(response.meta.get(WARC_REFS, [])), via_url=via_url,
                              fetched_url=response.url)
        yield item
        if item.role == "copy" and item.original_url and source.follow_original:
            # The original is another site: fetched plainly, and indexed under its own URL.
            followed = replace(entry, stable_url=None, original_url=None, replaces=None)
            request = self.source_request(item.original_url, source, self.parse_article, render=False,
                                          entry=followed, via_url=url)
            if request is not None:
                yield request

    def post_item(self, article: Article, url: str, source: SourceConfig, entry: EntryContext,
                  captures: list[WarcRef], *, via_url: str | None = None, fetched_url: str | None = None,
                  from_feed: bool = False) -> PostItem:
        """The one way a post is made, from a fetched page's Article or from a feed entry's own content.

        A post built from the feed (``from_feed``) is a copy with no known original: the page that a
        later version of the feed links becomes its original (crawler/pipelines/index_store.py).
        """
        original = None if from_feed else article.original_url or entry.original_url
        if via_url is not None or (original and _strip_fragment(original) == _strip_fragment(fetched_url or url)):
            original = None
        role: Role = "copy" if from_feed or original or (source.aggregator and via_url is None) else "original"
        author = article.author or entry.author
        source_name = (article.source_name or entry.source_name
                       or (article.site_name if role == "original" else None))
        if author and author in (source_name, article.site_name):
            author = None  # a publisher named where the author goes (feeds and aggregators do this)
        return PostItem(
            source=source.name, url=url, role=role,
            title=article.title or entry.title or "", text=article.text, body_html=article.body_html,
            original_url=original if role == "copy" else None, via_url=via_url,
            author=author, source_name=source_name,
            published=article.published or entry.published, updated=article.updated or entry.updated,
            categories=list(entry.categories if entry.categories is not None else source.categories),
            feed_entry_id=entry.entry_id, summary=entry.summary,
            lead_image=article.lead_image,
            captures=captures,
            replaces=entry.replaces if via_url is None and entry.replaces != url else None,
        )

    async def extract(self, response: Response, source: SourceConfig) -> Article | None:
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        if not isinstance(response, TextResponse) or not response.body.strip():
            self.count_error(source, "not_html", "%s is not a page (%s, %d bytes)", response.url,
                             content_type or "no content type", len(response.body))
            return None
        html, encoding = decode_html(response.body, content_type)
        notice = soft_404(html)
        if notice is not None:
            # A 200 page saying the post is gone (原文已被删除) or was never there: a 404 in disguise.
            kind = "removed" if notice == "removed" else "soft_404"
            self.count_error(source, kind, "%s answers 200 with a %s notice", response.url,
                             "removed-post" if notice == "removed" else "not-found")
            return None
        try:
            article = await self.cpu.run(extract_article, html, response.url, source.timezone, source.prune,
                                         now=self.now())
        except ExtractionError as exc:
            self.count_error(source, "extraction", "%s at %s", exc, response.url)
            return None
        except Exception as exc:  # the extractor's own failure on a page nobody foresaw: this page's alone
            logger.exception("[%s] extracting %s failed", source.name, response.url)
            self.count_error(source, "extraction", "%s: %s at %s", type(exc).__name__, exc, response.url)
            return None
        logger.debug("Extracted %s (%s, %d chars)", response.url, encoding, len(article.text))
        for url, reason in article.skipped_images:
            self.crawler.stats.inc_value(f"images/skipped/{reason}")
            logger.debug("Skipped image %s at %s: %s", url or "(none)", response.url, reason)
        return article


def count_source_error(stats: Any, source: str, kind: str, message: str, *args: Any) -> None:
    """One counted, logged failure for one source (by name), in the stats its run records; spiders and
    item pipelines alike."""
    stats.inc_value("errors/total")
    stats.inc_value(f"errors/{kind}")
    stats.inc_value(f"source/{source}/errors")
    stats.inc_value(f"source/{source}/error/{kind}")
    text = message % args if args else message
    stats.set_value(f"source/{source}/last_error", f"{kind}: {text}")
    logger.warning("[%s] %s: %s", source, kind, text)


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[::1" and the like
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def _strip_fragment(url: str) -> str:
    return url.split("#", 1)[0].rstrip("/")


"""What every source spider shares: its configured sources, per-source error accounting, and the
step from a fetched article page to a PostItem (plus the follow to the original it names)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure

from crawler.config import SourceConfig, load_config
from crawler.encoding import decode_html
from crawler.errors import ConfigError, ExtractionError
from crawler.extract import Article, extract_article
from crawler.items import PostItem, Role

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class EntryContext:
    """What the listing (feed entry, list row, API item) said about a post before it was fetched."""

    entry_id: str | None = None
    title: str | None = None
    author: str | None = None
    summary: str | None = None
    published: datetime | None = None
    updated: datetime | None = None


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
        self._seen: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SourceSpider:
        spider: SourceSpider = super().from_crawler(crawler, *args, **kwargs)
        spider.sources = spider._resolve_sources(crawler.settings.get("FEEDARCHIVER_CONFIG") or None)
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

    # -- accounting ------------------------------------------------------------------------------

    def count_error(self, source: SourceConfig, kind: str, message: str, *args: Any) -> None:
        """One counted, logged failure for one source; the crawl goes on."""
        stats = self.crawler.stats
        stats.inc_value("errors/total")
        stats.inc_value(f"errors/{kind}")
        stats.inc_value(f"source/{source.name}/errors")
        stats.inc_value(f"source/{source.name}/error/{kind}")
        text = message % args if args else message
        stats.set_value(f"source/{source.name}/last_error", f"{kind}: {text}")
        logger.warning("[%s] %s: %s", source.name, kind, text)

    def on_error(self, failure: Failure) -> None:
        """errback for every request: classify, count per source, never raise."""
        request: Request = failure.request  # type: ignore[attr-defined]  # Scrapy sets it on errback failures
        source: SourceConfig = request.cb_kwargs["source"]
        error = failure.value
        if isinstance(error, HttpError):
            status = error.response.status
            self.count_error(source, f"http_{status}", "HTTP %d at %s", status, request.url)
        elif isinstance(error, DNSLookupError):
            self.count_error(source, "dns", "cannot resolve %s", request.url)
        elif isinstance(error, TimeoutError | TCPTimedOutError):
            self.count_error(source, "timeout", "timed out fetching %s", request.url)
        elif isinstance(error, ConnectionRefusedError):
            self.count_error(source, "connection_refused", "connection refused at %s", request.url)
        else:
            self.count_error(source, "fetch", "%s at %s", failure.getErrorMessage() or type(error).__name__,
                             request.url)

    # -- requests --------------------------------------------------------------------------------

    def source_request(self, url: str, source: SourceConfig, callback: Any, **cb_kwargs: Any) -> Request | None:
        """A request on behalf of one source, once per (source, URL) in a crawl.

        Scrapy's own URL dupefilter is bypassed on purpose: an original both listed in its publisher's
        feed and followed from an aggregator's copy must count for both sources.
        """
        if (source.name, url) in self._seen:
            return None
        self._seen.add((source.name, url))
        return Request(url, callback=callback, errback=self.on_error, dont_filter=True,
                       cb_kwargs={"source": source, **cb_kwargs})

    # -- article pages ---------------------------------------------------------------------------

    def parse_article(self, response: Response, source: SourceConfig, entry: EntryContext,
                      via_url: str | None = None) -> Iterator[PostItem | Request]:
        """A fetched article page: one PostItem, and a request for the original it names."""
        article = self.extract(response, source)
        if article is None:
            return
        original = article.original_url
        if via_url is not None or (original and _strip_fragment(original) == _strip_fragment(response.url)):
            original = None
        role: Role = "copy" if original or (source.aggregator and via_url is None) else "original"
        author = article.author or entry.author
        source_name = article.source_name or (article.site_name if role == "original" else None)
        if author and author in (source_name, article.site_name):
            author = None  # a publisher named where the author goes (feeds and aggregators do this)
        item = PostItem(
            source=source.name, url=response.url, role=role,
            title=article.title or entry.title or "", text=article.text, body_html=article.body_html,
            original_url=original if role == "copy" else None, via_url=via_url,
            author=author, source_name=source_name,
            published=article.published or entry.published, updated=article.updated or entry.updated,
            categories=list(source.categories), feed_entry_id=entry.entry_id, summary=entry.summary,
            lead_image=article.images[0] if article.images else None,
            captures=list(response.meta.get("warc_refs", [])),
        )
        yield item
        if role == "copy" and original and source.follow_original:
            request = self.source_request(original, source, self.parse_article, entry=entry, via_url=response.url)
            if request is not None:
                yield request

    def extract(self, response: Response, source: SourceConfig) -> Article | None:
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        if not isinstance(response, TextResponse) or not response.body.strip():
            self.count_error(source, "not_html", "%s is not a page (%s, %d bytes)", response.url,
                             content_type or "no content type", len(response.body))
            return None
        html, encoding = decode_html(response.body, content_type)
        try:
            article = extract_article(html, response.url, source.timezone, source.prune)
        except ExtractionError as exc:
            self.count_error(source, "extraction", "%s at %s", exc, response.url)
            return None
        logger.debug("Extracted %s (%s, %d chars)", response.url, encoding, len(article.text))
        return article


def _strip_fragment(url: str) -> str:
    return url.split("#", 1)[0].rstrip("/")


"""The generic `feed` source kind: RSS, Atom and JSON Feed, parsed by feedparser.

Each entry is followed to its post page; a post that names its original (来源 + 阅读原文, a
canonical link to another host) is followed there too. Feeds are data in the sources TOML.

Feeds are asked for conditionally: a 304 reaches the spider as the archived copy it says is still
current (crawler/middlewares/not_modified.py), whose entries are followed as usual.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from scrapy import Request
from scrapy.http import Response

from crawler.config import SourceConfig
from crawler.content.dates import parse_date
from crawler.content.feeds import parse_feed
from crawler.items import PostItem
from crawler.meta import CONDITIONAL
from crawler.spiders.base import EntryContext, SourceSpider


class FeedSpider(SourceSpider):
    name = "feed"
    kind = "feed"

    def first_requests(self, source: SourceConfig) -> Iterator[Request | None]:
        for url in source.urls:
            # Asked conditionally; a 304 arrives as the archived copy (NotModifiedMiddleware).
            yield self.source_request(url, source, self.parse_feed, meta={CONDITIONAL: True})

    async def parse_feed(self, response: Response, source: SourceConfig) -> AsyncIterator[PostItem | Request]:
        body = response.body
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        # In the worker pool: a feed of thousands of entries takes seconds of CPU, and feedparser's whole
        # document tree (tens of MB) lives and dies there instead of in the crawler.
        parsed = await self.cpu.run(parse_feed, body, content_type)
        if parsed.error:
            # Recovered entries are still followed; the broken feed is still an error for the operator.
            self.count_error(source, "feed_malformed", "%s: %s (%d entries recovered)", response.url,
                             parsed.error, len(parsed.entries))
        elif not parsed.entries:
            self.crawler.stats.inc_value(f"source/{source.name}/feed_empty")
            self.logger.info("[%s] feed %s has no entries", source.name, response.url)
        self.crawler.stats.inc_value("feed/entries", len(parsed.entries))
        entries = parsed.entries
        limit = self.crawler.settings.getint("FEED_MAX_ENTRIES", 1000)
        if len(entries) > limit:
            # A feed of 10,000 entries is a trap or a dump, not news: read its first ones only.
            self.count_error(source, "too_many_entries", "%s lists %d entries; reading the first %d (FEED_MAX_ENTRIES)",
                             response.url, len(entries), limit)
            entries = entries[:limit]
        for entry in entries:
            if not entry.link:
                self.count_error(source, "entry_without_link", "entry %r in %s has no link",
                                 entry.entry_id or entry.title, response.url)
                continue
            for field_name in ("published", "updated"):
                raw = getattr(entry, field_name)
                if raw and parse_date(raw, source.timezone) is None:
                    self.count_error(source, "bad_date", "entry %s: %s date %r is not a plausible date; not used",
                                     entry.link, field_name, raw)
            context = EntryContext(
                entry_id=entry.entry_id or entry.link,
                title=entry.title,
                author=entry.author,
                summary=entry.summary,
                published=parse_date(entry.published, source.timezone),
                updated=parse_date(entry.updated, source.timezone),
            )
            request = self.source_request(response.urljoin(entry.link), source, self.parse_article, entry=context)
            if request is not None:
                yield request


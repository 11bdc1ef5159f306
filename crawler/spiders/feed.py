"""The generic `feed` source kind: RSS, Atom and JSON Feed, parsed by feedparser.

Each entry is followed to its post page; a post that names its original (来源 + 阅读原文, a
canonical link to another host) is followed there too. Feeds are data in the sources TOML.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy import Request
from scrapy.http import Response

from crawler.config import SourceConfig
from crawler.dates import parse_date
from crawler.feeds import parse_feed
from crawler.items import PostItem
from crawler.spiders.base import EntryContext, SourceSpider


class FeedSpider(SourceSpider):
    name = "feed"
    kind = "feed"

    async def start(self) -> AsyncIterator[Any]:
        for source in self.startable_sources():
            for url in source.urls:
                request = self.source_request(url, source, self.parse_feed)
                if request is not None:
                    yield request

    def parse_feed(self, response: Response, source: SourceConfig) -> Iterator[PostItem | Request]:
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        parsed = parse_feed(response.body, content_type)
        if parsed.error:
            # Recovered entries are still followed; the broken feed is still an error for the operator.
            self.count_error(source, "feed_malformed", "%s: %s (%d entries recovered)", response.url,
                             parsed.error, len(parsed.entries))
        elif not parsed.entries:
            self.crawler.stats.inc_value(f"source/{source.name}/feed_empty")
            self.logger.info("[%s] feed %s has no entries", source.name, response.url)
        self.crawler.stats.inc_value("feed/entries", len(parsed.entries))
        for entry in parsed.entries:
            if not entry.link:
                self.count_error(source, "entry_without_link", "entry %r in %s has no link",
                                 entry.entry_id or entry.title, response.url)
                continue
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

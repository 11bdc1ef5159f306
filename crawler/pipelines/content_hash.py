"""The story content hash: equal for the same text wherever it was copied (crawler.content.text)."""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.content.text import content_hash
from crawler.items import PostItem
from crawler.spiders.base import count_source_error

logger = logging.getLogger(__name__)


class ContentHashPipeline:
    def __init__(self, stats: object) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ContentHashPipeline:
        return cls(crawler.stats)

    def process_item(self, item: PostItem) -> PostItem:
        try:
            item.content_hash = content_hash(item.text)
        except Exception as exc:
            logger.exception("[%s] cannot hash the text of %s", item.source, item.url)
            count_source_error(self.stats, item.source, "content_hash", "%s: %s at %s", type(exc).__name__, exc,
                               item.url)
            raise DropItem(f"no content hash for {item.url}") from None
        if not item.content_hash:
            self.stats.inc_value("dedupe/empty_text")  # type: ignore[attr-defined]
            self.stats.inc_value(f"source/{item.source}/errors")  # type: ignore[attr-defined]
            raise DropItem(f"no text to hash at {item.url}")
        return item

"""Store posts in the index: once per content hash, linked to every URL and source that showed them."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler

from crawler.index import IndexStore, index_url_for, open_index_store
from crawler.items import PostItem
from crawler.settings import data_dir

logger = logging.getLogger(__name__)


class IndexStorePipeline:
    def __init__(self, store: IndexStore, stats: Any) -> None:
        self.store = store
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IndexStorePipeline:
        url = index_url_for(data_dir(crawler.settings.get("FEEDARCHIVER_DATA")), crawler.settings.get("INDEX_URL"))
        return cls(open_index_store(url), crawler.stats)

    def process_item(self, item: PostItem) -> PostItem:
        result = self.store.upsert_post(item)
        self.stats.inc_value(f"dedupe/{result.outcome}")
        self.stats.inc_value(f"source/{item.source}/items")
        # Per source too: the daemon polls a source less while its runs store nothing new.
        self.stats.inc_value(f"source/{item.source}/stored/{result.outcome}")
        logger.debug("Stored %s (%s, post %d)", item.url, result.outcome, result.post_id)
        return item

    def close_spider(self) -> None:
        self.store.close()

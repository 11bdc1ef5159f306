"""Store posts in the index: once per content hash, linked to every URL and source that showed them,
each in the story cluster of its near-duplicates."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.utils.defer import maybe_deferred_to_future

from crawler.addon import required
from crawler.index import IndexStore
from crawler.index.writer import IndexWriter, release, shared_writer
from crawler.items import PostItem

logger = logging.getLogger(__name__)


class IndexStorePipeline:
    """Upserts run on the index's writer thread (story assignment is the costliest step of a post),
    one at a time in the order items arrive; without a writer (tests), right here."""

    def __init__(self, store: IndexStore, stats: Any, writer: IndexWriter | None = None) -> None:
        self.store = store
        self.stats = stats
        self.writer = writer

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IndexStorePipeline:
        url = required(crawler.settings, "INDEX_URL")
        writer = shared_writer(url, story_threshold=crawler.settings.getfloat("STORY_THRESHOLD"))
        return cls(writer.store, crawler.stats, writer)

    async def process_item(self, item: PostItem) -> PostItem:
        if self.writer is None:
            result = self.store.upsert_post(item)
        else:
            result = await maybe_deferred_to_future(self.writer.submit(self.store.upsert_post, item))
        self.stats.inc_value(f"dedupe/{result.outcome}")
        if result.story_outcome and result.story_outcome != "same":
            self.stats.inc_value(f"stories/{result.story_outcome}")
        if result.story_outcome == "error":  # stored without a story; logged by the store
            self.stats.inc_value("errors/total")
            self.stats.inc_value(f"source/{item.source}/errors")
            self.stats.inc_value(f"source/{item.source}/error/story")
            self.stats.set_value(f"source/{item.source}/last_error", f"story: no story assigned to {item.url}")
        self.stats.inc_value(f"source/{item.source}/items")
        # Per source too: the daemon polls a source less while its runs store nothing new.
        self.stats.inc_value(f"source/{item.source}/stored/{result.outcome}")
        logger.debug("Stored %s (%s, post %d, story %s: %s)", item.url, result.outcome, result.post_id,
                     result.story_id, result.story_outcome)
        return item

    async def close_spider(self) -> None:
        if self.writer is None:
            self.store.close()
            return
        try:
            await maybe_deferred_to_future(self.writer.drain())
        finally:
            release(self.writer)

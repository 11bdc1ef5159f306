"""Store posts in the index: once per content hash, linked to every URL and source that showed them,
each in the story cluster of its near-duplicates.

A post built from a feed entry that had no page (crawler/spiders/feed.py) is stored under the URL
``FEED_URL#ENTRY_KEY`` as a copy with no known original. When a later version of the feed links
that entry, the page's post carries that URL as ``replaces``, and is stored in two steps, one
transaction each: first under the from-feed URL (the store takes it as an edit of the stored post:
same key, the page's title, body and text), then under its own URL, which the store now finds by
content hash and links to the same post, as its original. One post, under its first key, with the
page's text; the from-feed URL stays among its URLs, as where it was first seen. The first step runs
only when the from-feed URL is in the index: a post whose entry was always linked is stored once,
as ever.

Any failure to store one post is that post's alone: counted (`index`) for its source, the crawl goes on.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.defer import maybe_deferred_to_future

from crawler.addon import required
from crawler.index import PostWriter, UpsertResult
from crawler.index.writer import IndexWriter, release, shared_writer
from crawler.items import PostItem
from crawler.spiders.base import count_source_error

logger = logging.getLogger(__name__)


def upsert_replacing(store: PostWriter, item: PostItem) -> tuple[UpsertResult, bool]:
    """Store a post, folding the from-feed post it replaces into it first; (result, replaced)."""
    replaced = False
    if item.replaces and item.replaces != item.url and store.has_url(item.replaces, item.source):
        # As an edit of the stored post: its key stays, its content becomes the page's.
        store.upsert_post(replace(item, url=item.replaces, role="copy", original_url=None, via_url=None,
                                  captures=[], media=[], replaces=None))
        replaced = True
    return store.upsert_post(item), replaced


class IndexStorePipeline:
    """Upserts run on the index's writer thread (story assignment is the costliest step of a post),
    one at a time in the order items arrive; without a writer (tests), right here."""

    def __init__(self, store: PostWriter, stats: Any, writer: IndexWriter | None = None) -> None:
        self.store = store
        self.stats = stats
        self.writer = writer

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IndexStorePipeline:
        url = required(crawler.settings, "INDEX_URL")
        writer = shared_writer(url, story_threshold=crawler.settings.getfloat("STORY_THRESHOLD"))
        return cls(writer.store, crawler.stats, writer)

    async def process_item(self, item: PostItem) -> PostItem:
        try:
            if self.writer is None:
                result, replaced = upsert_replacing(self.store, item)
            else:
                result, replaced = await maybe_deferred_to_future(self.writer.submit(upsert_replacing, self.store,
                                                                                     item))
        except Exception as exc:  # a database error, a value the store refuses: this post's alone
            logger.exception("[%s] cannot store %s", item.source, item.url)
            count_source_error(self.stats, item.source, "index", "%s: %s at %s", type(exc).__name__, exc, item.url)
            raise DropItem(f"not stored: {item.url}") from None
        if replaced:
            self.stats.inc_value(f"source/{item.source}/replaced_from_feed")
            logger.info("[%s] %s replaces the post stored from its feed entry (%s)", item.source, item.url,
                        item.replaces)
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

"""Record each crawl of each source in the index (items, errors, last error): `feedarchiver sources`
shows it, and an operator sees which source is failing without reading logs.

It also keeps the back-off of sources a WAF blocked: a source blocked in an earlier run is held
(not started) until its back-off ends; a block in this run lengthens it, a clean run ends it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.addon import required
from crawler.index import RunLog, open_index_store

logger = logging.getLogger(__name__)


class SourceRunsExtension:
    def __init__(self, store: RunLog, stats: Any, block_backoff: int = 3600) -> None:
        self.store = store
        self.stats = stats
        self.block_backoff = block_backoff
        self.runs: dict[str, int] = {}
        self.held: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourceRunsExtension:
        if not crawler.settings.getbool("SOURCE_RUNS_ENABLED", True):
            raise NotConfigured("SOURCE_RUNS_ENABLED is off")
        url = required(crawler.settings, "INDEX_URL")
        threshold = crawler.settings.getfloat("STORY_THRESHOLD")
        ext = cls(open_index_store(url, story_threshold=threshold), crawler.stats,
                  crawler.settings.getint("SOURCE_BLOCK_BACKOFF", 3600))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        # spider_opened comes before Scrapy iterates the spider's start(), so holds apply from the start.
        states = self.store.source_states()
        now = datetime.now(UTC)
        for source in getattr(spider, "sources", []):
            self.runs[source.name] = self.store.start_run(source.name)
            state = states.get(source.name)
            if state is not None and state.backing_off(now) and state.blocked_until is not None:
                self.held.add(source.name)
                getattr(spider, "held", {})[source.name] = state.blocked_until

    def spider_closed(self, spider: Spider, reason: str) -> None:
        for name, run_id in self.runs.items():
            prefix = f"source/{name}/"
            items = int(self.stats.get_value(prefix + "items", 0))
            errors = int(self.stats.get_value(prefix + "errors", 0))
            blocked = self.stats.get_value(prefix + "blocked")
            details = {key.removeprefix(prefix): value for key, value in self.stats.get_stats().items()
                       if key.startswith(prefix) and key != prefix + "last_error"}
            if reason != "finished":
                status = reason
            elif name in self.held:
                status = "backing_off"
            elif blocked:
                status = "blocked"
            elif errors and not items:
                status = "failed"
            else:
                status = "errors" if errors else "ok"
            if blocked:
                state = self.store.record_block(name, str(blocked), self.block_backoff)
                details["blocked_until"] = state.blocked_until.isoformat() if state.blocked_until else None
                logger.warning("[%s] blocked by a %s WAF challenge (%d in a row): backing off until %s", name,
                               blocked, state.blocks_in_row, details["blocked_until"])
            elif name not in self.held and reason == "finished" and (items or not errors):
                self.store.clear_block(name)
            self.store.finish_run(run_id, status=status, items=items, errors=errors, details=details,
                                  last_error=self.stats.get_value(prefix + "last_error"))
        self.store.close()

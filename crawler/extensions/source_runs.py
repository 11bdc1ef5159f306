"""Record each crawl of each source in the index (items, errors, last error): `feedarchiver sources`
shows it, and an operator sees which source is failing without reading logs."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.index import IndexStore, index_url_for, open_index_store
from crawler.settings import data_dir

logger = logging.getLogger(__name__)


class SourceRunsExtension:
    def __init__(self, store: IndexStore, stats: Any) -> None:
        self.store = store
        self.stats = stats
        self.runs: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourceRunsExtension:
        if not crawler.settings.getbool("SOURCE_RUNS_ENABLED", True):
            raise NotConfigured("SOURCE_RUNS_ENABLED is off")
        url = index_url_for(data_dir(crawler.settings.get("FEEDARCHIVER_DATA")), crawler.settings.get("INDEX_URL"))
        ext = cls(open_index_store(url), crawler.stats)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        for source in getattr(spider, "sources", []):
            self.runs[source.name] = self.store.start_run(source.name)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        for name, run_id in self.runs.items():
            prefix = f"source/{name}/"
            items = int(self.stats.get_value(prefix + "items", 0))
            errors = int(self.stats.get_value(prefix + "errors", 0))
            details = {key.removeprefix(prefix): value for key, value in self.stats.get_stats().items()
                       if key.startswith(prefix) and key != prefix + "last_error"}
            if reason != "finished":
                status = reason
            elif errors and not items:
                status = "failed"
            else:
                status = "errors" if errors else "ok"
            self.store.finish_run(run_id, status=status, items=items, errors=errors, details=details,
                                  last_error=self.stats.get_value(prefix + "last_error"))
        self.store.close()

"""Count a spider callback that raised as an error of its source, so a bug or a page shape nobody
foresaw shows up in `feedarchiver sources` rather than only as a traceback in the log."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.http import Response

logger = logging.getLogger(__name__)


class SourceErrorsMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourceErrorsMiddleware:
        return cls(crawler)

    def process_spider_exception(self, response: Response, exception: Exception,
                                 spider: Spider | None = None) -> Iterable[Any] | None:
        spider = spider or self.crawler.spider
        source = response.request.cb_kwargs.get("source") if response.request is not None else None
        count_error = getattr(spider, "count_error", None)
        if source is None or count_error is None:
            return None  # not one of ours: Scrapy logs it as usual
        logger.error("[%s] error parsing %s", source.name, response.url, exc_info=exception)
        count_error(source, "spider_exception", "%s: %s at %s", type(exception).__name__, exception, response.url)
        return []

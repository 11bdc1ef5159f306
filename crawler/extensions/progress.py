"""A one-line progress display (items, pages/min, errors) on a terminal; silent when not a TTY."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task


class ProgressExtension:
    def __init__(self, stats: Any, interval: float, stream: TextIO) -> None:
        self.stats = stats
        self.interval = interval
        self.stream = stream
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressExtension:
        interval = crawler.settings.getfloat("PROGRESS_INTERVAL")
        if not interval or not sys.stderr.isatty():
            raise NotConfigured  # no message: being off when not on a terminal is normal, not news
        ext = cls(crawler.stats, interval, sys.stderr)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        pages = int(self.stats.get_value("response_received_count", 0))
        items = int(self.stats.get_value("item_scraped_count", 0))
        errors = int(self.stats.get_value("errors/total", 0))
        return f"{items} items, {pages} pages ({pages * 60 / elapsed:.0f} pages/min), {errors} errors"

    def show(self) -> None:
        self.stream.write("\r\033[K" + self.line())
        self.stream.flush()

    def spider_opened(self, spider: Spider) -> None:
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.show)
        self.loop.start(self.interval, now=False)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.show()
        self.stream.write("\n")

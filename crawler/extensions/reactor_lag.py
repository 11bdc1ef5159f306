"""Measure how long the reactor thread is kept from its event loop.

A timer asks to run every INTERVAL; any extra delay is time the reactor spent in someone's CPU work
(extraction, hashing, the index) instead of moving bytes. Stats: `reactor/lag_max_ms`,
`reactor/lag_p95_ms`, `reactor/lag_mean_ms`, `reactor/stalls_100ms` (delays over 100 ms), and
`reactor/cpu_s`, the CPU time of the reactor thread itself over the crawl.
"""

from __future__ import annotations

import time
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

INTERVAL = 0.02  # seconds between ticks
STALL = 0.1  # a delay past this is a stall worth counting
MAX_BUCKET = 1000  # milliseconds; longer lags share the last bucket


class ReactorLagExtension:
    def __init__(self, stats: Any) -> None:
        self.stats = stats
        # Counts per whole millisecond of lag (the last bucket: a second or more): flat memory however long
        # the crawl, and p95 to the millisecond.
        self.buckets = [0] * (MAX_BUCKET + 1)
        self.ticks = 0
        self.total = 0.0
        self.worst = 0.0
        self.stalls = 0
        self.last = 0.0
        self.cpu_started = 0.0
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ReactorLagExtension:
        if not crawler.settings.getbool("REACTOR_LAG_ENABLED"):
            raise NotConfigured
        ext = cls(crawler.stats)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def tick(self) -> None:
        now = time.monotonic()
        self.record(max(now - self.last - INTERVAL, 0.0))
        self.last = now

    def record(self, lag: float) -> None:
        self.buckets[min(int(lag * 1000), MAX_BUCKET)] += 1
        self.ticks += 1
        self.total += lag
        self.worst = max(self.worst, lag)
        self.stalls += lag > STALL

    def spider_opened(self, spider: Spider) -> None:
        self.last = time.monotonic()
        self.cpu_started = time.thread_time()  # signals arrive on the reactor thread
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(INTERVAL, now=False)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if not self.ticks:
            return
        self.stats.set_value("reactor/lag_max_ms", round(self.worst * 1000, 1))
        self.stats.set_value("reactor/lag_p95_ms", float(self.percentile(0.95)))
        self.stats.set_value("reactor/lag_mean_ms", round(self.total / self.ticks * 1000, 2))
        self.stats.set_value("reactor/stalls_100ms", self.stalls)
        # CPU the reactor thread itself spent (other threads and the extraction workers not counted).
        self.stats.set_value("reactor/cpu_s", round(time.thread_time() - self.cpu_started, 2))

    def percentile(self, fraction: float) -> int:
        """The lag, in whole milliseconds, that ``fraction`` of the ticks stayed under."""
        wanted = int(self.ticks * fraction)
        seen = 0
        for millis, count in enumerate(self.buckets):
            seen += count
            if seen > wanted:
                return millis
        return MAX_BUCKET

"""Measure how long the reactor thread is kept from its event loop.

A timer asks to run every INTERVAL; any extra delay is time the reactor spent in someone's CPU work
(extraction, hashing, the index) instead of moving bytes. Stats: `reactor/lag_max_ms`,
`reactor/lag_p95_ms`, `reactor/lag_mean_ms`, `reactor/stalls_100ms` (delays over 100 ms).
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


class ReactorLagExtension:
    def __init__(self, stats: Any) -> None:
        self.stats = stats
        self.lags: list[float] = []
        self.last = 0.0
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
        self.lags.append(max(now - self.last - INTERVAL, 0.0))
        self.last = now

    def spider_opened(self, spider: Spider) -> None:
        self.last = time.monotonic()
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(INTERVAL, now=False)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if not self.lags:
            return
        ordered = sorted(self.lags)
        self.stats.set_value("reactor/lag_max_ms", round(ordered[-1] * 1000, 1))
        self.stats.set_value("reactor/lag_p95_ms", round(ordered[int(len(ordered) * 0.95)] * 1000, 1))
        self.stats.set_value("reactor/lag_mean_ms", round(sum(ordered) / len(ordered) * 1000, 2))
        self.stats.set_value("reactor/stalls_100ms", sum(lag > STALL for lag in ordered))

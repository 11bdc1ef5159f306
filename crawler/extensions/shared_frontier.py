"""Keeps every process of a shared crawl (crawler/net/frontier.py) alive while the shared queue holds
requests or another process is still busy, so no process quits early and leaves work behind; the last
one sets the job's keys to expire."""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from twisted.internet import task

from crawler.net.frontier import BUSY_TTL, HEARTBEAT, job_prefix, redis_client

logger = logging.getLogger(__name__)


class SharedFrontierExtension:
    """Keeps a process in the crawl while others still work on it, and marks it busy for them.

    A process is done when the shared queue is empty and no process of the job is busy (its engine
    holds requests, responses or items). Scrapy polls the scheduler only every 5 s when idle: the
    heartbeat nudges it as soon as the queue has something.
    """

    def __init__(self, crawler: Crawler, client: Any, job: str, ttl: int) -> None:
        self.crawler = crawler
        self.client = client
        self.prefix = job_prefix(job)
        self.ttl = ttl
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self.loop: task.LoopingCall | None = None
        self.spider_name = ""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedFrontierExtension:
        job = crawler.settings.get("FRONTIER_JOB")
        if not job:
            raise NotConfigured
        client = redis_client(crawler.settings.get("REDIS_URL"))
        ext = cls(crawler, client, job, crawler.settings.getint("FRONTIER_TTL"))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def _busy_key(self, worker: str) -> str:
        return f"{self.prefix}{self.spider_name}:busy:{worker}"

    def spider_opened(self, spider: Spider) -> None:
        self.spider_name = spider.name
        # Busy from the start: a process that opens later must not close before this one's feeds are in.
        self.client.set(self._busy_key(self.worker), "1", ex=BUSY_TTL)
        self.loop = task.LoopingCall(self.heartbeat)
        self.loop.start(HEARTBEAT, now=False)

    def _queued(self) -> int:
        return int(self.client.zcard(f"{self.prefix}{self.spider_name}:requests"))

    def heartbeat(self) -> None:
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None)
        if engine is None or slot is None:
            return
        if not engine.spider_is_idle():
            self.client.set(self._busy_key(self.worker), "1", ex=BUSY_TTL)
        if self._queued():
            # Pull now rather than at Scrapy's next 5 s idle heartbeat (the slot's own wake-up call).
            slot.nextcall.schedule()

    def others_busy(self) -> list[str]:
        own = self._busy_key(self.worker)
        return [k.decode() if isinstance(k, bytes) else k
                for k in self.client.scan_iter(match=self._busy_key("*"), count=100) if (
                    k.decode() if isinstance(k, bytes) else k) != own]

    def spider_idle(self, spider: Spider) -> None:
        self.client.delete(self._busy_key(self.worker))
        if self._queued() or self.others_busy():
            self.crawler.stats.inc_value("frontier/idle_waits")
            raise DontCloseSpider

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.client.delete(self._busy_key(self.worker))
        for key in self.client.scan_iter(match=f"{self.prefix}*", count=500):
            if b":busy:" not in (key if isinstance(key, bytes) else key.encode()):
                self.client.expire(key, self.ttl)
        self.crawler.stats.set_value("frontier/worker", self.worker)

"""One frontier shared by N crawler processes (on one box or many), on scrapy-redis and Redis.

scrapy-redis supplies the shared request queue and its URL dupefilter. Our source requests bypass
that dupefilter on purpose (crawler/spiders/base.py `source_request`: a URL may count for two
sources), so a Redis set of (source, URL) claims takes the place of each spider's in-memory one:
the first process to claim a pair schedules it, every other process drops it. Start requests are
claimed the same way, so N processes started at once fetch each feed once.

Every key of a crawl lives under ``feedarchiver:JOB:`` — the job name all processes of one crawl
are given (`feedarchiver crawl --job NAME`) — and expires ``redis_job_ttl`` seconds after the last
process finishes, so the next crawl under a new name starts clean.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from typing import Any

from crawler.errors import ConfigError

logger = logging.getLogger(__name__)

_JOB = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")
HEARTBEAT = 0.5  # seconds between "still busy" marks and queue polls
BUSY_TTL = 10  # seconds a crashed worker's busy mark outlives it


def job_prefix(job: str) -> str:
    if not _JOB.fullmatch(job):
        raise ConfigError(f"job name {job!r}: letters, digits and . _ : - only (at most 100)")
    return f"feedarchiver:{job}:"


def scrapy_settings(job: str) -> dict[str, Any]:
    """The Scrapy settings that put a crawl's frontier in Redis (REDIS_URL) under ``job``."""
    prefix = job_prefix(job)
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_KEY": prefix + "%(spider)s:requests",
        "SCHEDULER_DUPEFILTER_KEY": prefix + "%(spider)s:dupefilter",
        # The first process to finish must not flush the queue the others still work on: keys expire instead.
        "SCHEDULER_PERSIST": True,
        "FRONTIER_JOB": job,
    }


def redis_client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10)


class SharedClaims:
    """The (source, URL) pairs some process of this job has scheduled: a Redis set."""

    def __init__(self, client: Any, key: str) -> None:
        self.client = client
        self.key = key

    def claim(self, source: str, url: str) -> bool:
        """True for the first process (of any box) to ask; False for every later one."""
        return bool(self.client.sadd(self.key, f"{source} {url}"))


class SharedOutcomes:
    """Work done once across processes, its JSON outcome shared: the first to claim a name does it and
    publishes what came of it; the others wait for that (or, past ``wait`` seconds, do it themselves)."""

    PENDING = b""

    def __init__(self, client: Any, key: str, wait: float) -> None:
        self.client = client
        self.key = key
        self.wait = wait

    def claim(self, name: str) -> bool:
        return bool(self.client.hsetnx(self.key, name, self.PENDING))

    def publish(self, name: str, outcome: Any) -> None:
        self.client.hset(self.key, name, json.dumps(outcome))

    def release(self, name: str) -> None:
        """The claimant failed: a waiter does the work instead."""
        self.client.hdel(self.key, name)

    async def outcome(self, name: str) -> Any | None:
        """What the claimant published, or None when it did not within ``wait`` seconds."""
        deadline = time.monotonic() + self.wait
        while time.monotonic() < deadline:
            value = self.client.hget(self.key, name)
            if value is None:
                return None  # released
            if value != self.PENDING:
                return json.loads(value)
            await asyncio.sleep(0.1)
        return None

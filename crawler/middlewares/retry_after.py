"""Honour Retry-After and back off on 429/503: the host waits, then RetryMiddleware's retry goes out.

Each host gets a "not before" time. A 429/503 with ``Retry-After`` (seconds or an HTTP date) sets it
that far ahead, capped at RETRY_AFTER_MAX; one without waits RETRY_BACKOFF_BASE seconds, doubled for
each such answer in a row. Any other answer from the host clears the streak. Every request to a
waiting host (the retry included) sleeps until then before it is sent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

logger = logging.getLogger(__name__)


def retry_after_seconds(value: str, now: float | None = None) -> float | None:
    """Seconds a Retry-After value asks for: delta-seconds or an HTTP date; None if unreadable."""
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RetryAfterMiddleware:
    def __init__(self, stats: Any, *, max_wait: float, base: float, statuses: list[int]) -> None:
        self.stats = stats
        self.max_wait = max_wait
        self.base = base
        self.statuses = set(statuses)
        self.not_before: dict[str, float] = {}
        self.streak: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        settings = crawler.settings
        return cls(crawler.stats, max_wait=settings.getfloat("RETRY_AFTER_MAX", 300.0),
                   base=settings.getfloat("RETRY_BACKOFF_BASE", 2.0),
                   statuses=[int(s) for s in settings.getlist("RETRY_AFTER_STATUSES", [429, 503])])

    @staticmethod
    def host(url: str) -> str:
        return urlsplit(url).netloc.lower()

    async def process_request(self, request: Request) -> None:
        wait = self.not_before.get(self.host(request.url), 0.0) - time.monotonic()
        if wait > 0:
            self.stats.inc_value("retry_after/delayed")
            await asyncio.sleep(wait)

    def process_response(self, request: Request, response: Response) -> Response:
        host = self.host(request.url)
        if response.status not in self.statuses:
            self.streak.pop(host, None)
            return response
        streak = self.streak[host] = self.streak.get(host, 0) + 1
        header = response.headers.get(b"Retry-After")
        asked = retry_after_seconds(header.decode("latin-1")) if header else None
        if asked is not None:
            wait = min(asked, self.max_wait)
            self.stats.inc_value("retry_after/honoured")
        else:
            wait = min(self.base * 2 ** (streak - 1), self.max_wait)
            self.stats.inc_value("retry_after/backoff")
        self.stats.max_value("retry_after/max_wait", wait)
        self.not_before[host] = max(self.not_before.get(host, 0.0), time.monotonic() + wait)
        logger.info("HTTP %d from %s: waiting %.1f s before asking it again%s", response.status, host, wait,
                    " (Retry-After)" if asked is not None else "")
        return response

"""One live progress display for the whole crawl on a terminal; nothing when stderr is not a TTY.

A crawl runs one Scrapy crawler per source kind in one process: every ProgressExtension of the
process feeds one ``CrawlProgress``, which sums their stats as the crawl summary does (items, pages
and pages/min, errors, queued requests; per-source posts and errors with PROGRESS_SOURCES). It is a
rich ``Live`` display; log lines go above it (the log handlers write through the display's console
while it runs), and its last state stays on screen when the crawl ends.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

from rich.console import Console
from rich.live import Live
from rich.text import Text
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

_SOURCE = "source/"


@dataclass
class Totals:
    items: int = 0
    pages: int = 0
    errors: int = 0
    queued: int = 0
    per_source: dict[str, dict[str, int]] = field(default_factory=dict)


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


class CrawlProgress:
    """The display every crawler of this process reports to."""

    def __init__(self, stream: TextIO, interval: float, per_source: bool = False) -> None:
        self.stream = stream
        self.interval = interval
        self.per_source = per_source
        self.stats: list[Any] = []  # each crawler's stats collector
        self.open_spiders = 0
        self.started = time.monotonic()
        self.live: Live | None = None
        self.loop: task.LoopingCall | None = None
        self._streams: list[tuple[logging.StreamHandler[Any], Any]] = []

    def add(self, stats: Any) -> None:
        self.stats.append(stats)

    def totals(self) -> Totals:
        """Summed over every crawler, as CrawlReport sums them for the summary."""
        totals = Totals()
        for stats in self.stats:
            values = stats.get_stats()
            totals.items += _int(values.get("item_scraped_count"))
            totals.pages += _int(values.get("response_received_count"))
            totals.errors += _int(values.get("errors/total"))
            totals.queued += max(0, _int(values.get("scheduler/enqueued")) - _int(values.get("scheduler/dequeued")))
            if self.per_source:
                for key, value in values.items():
                    name, _, what = key.removeprefix(_SOURCE).rpartition("/")
                    if key.startswith(_SOURCE) and what in ("items", "errors") and "/" not in name:
                        counts = totals.per_source.setdefault(name, {"items": 0, "errors": 0})
                        counts[what] += _int(value)
        return totals

    def line(self) -> str:
        t = self.totals()
        elapsed = max(time.monotonic() - self.started, 1e-6)
        return (f"{t.items} items, {t.pages} pages ({t.pages * 60 / elapsed:.0f} pages/min), {t.errors} errors, "
                f"{t.queued} queued, {int(elapsed) // 60}:{int(elapsed) % 60:02d}")

    def render(self) -> Text:
        text = Text()
        text.append(self.line(), style="bold")
        if self.per_source:
            for name, counts in sorted(self.totals().per_source.items()):
                text.append(f"\n  {name}: {counts['items']} posts, {counts['errors']} errors")
        return text

    def refresh(self) -> None:
        if self.live is not None:
            self.live.update(self.render(), refresh=True)

    def spider_opened(self) -> None:
        self.open_spiders += 1
        if self.live is not None:
            return
        self.started = time.monotonic()
        real_stderr = sys.stderr
        self.live = Live(self.render(), console=Console(file=self.stream), auto_refresh=False,
                         redirect_stdout=True, redirect_stderr=True, transient=False)
        self.live.start()
        # Log handlers hold the stream they were made with: point those on the terminal at the
        # display's proxy, which prints each line above the live line instead of across it.
        for handler in logging.root.handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream in (real_stderr, self.stream):
                self._streams.append((handler, handler.setStream(sys.stderr)))
        self.loop = task.LoopingCall(self.refresh)
        self.loop.start(self.interval, now=False)

    def spider_closed(self) -> None:
        self.open_spiders -= 1
        if self.open_spiders <= 0:
            self.close()

    def close(self) -> None:
        if self.live is None:
            return
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.refresh()  # the final figures, equal to the summary's
        self.live.stop()
        self.live = None
        for handler, stream in self._streams:
            handler.setStream(stream)
        self._streams.clear()


_shared: CrawlProgress | None = None


def close_display() -> None:
    """End the display if a crawl stopped without closing its spiders (a second Ctrl-C): the terminal
    gets its cursor back and the log handlers their stream."""
    if _shared is not None:
        _shared.close()


class ProgressExtension:
    def __init__(self, stats: Any, progress: CrawlProgress) -> None:
        self.stats = stats
        self.progress = progress
        progress.add(stats)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressExtension:
        global _shared
        interval = crawler.settings.getfloat("PROGRESS_INTERVAL")
        if not interval or not sys.stderr.isatty():
            raise NotConfigured  # no message: being off when not on a terminal is normal, not news
        if _shared is None:  # one display per process (a process runs one crawl: one reactor)
            _shared = CrawlProgress(sys.stderr, interval, crawler.settings.getbool("PROGRESS_SOURCES"))
        ext = cls(crawler.stats, _shared)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self.progress.spider_opened()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.progress.spider_closed()

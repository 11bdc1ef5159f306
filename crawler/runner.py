"""Run crawls in this process: one Scrapy crawler per source kind, all in one CrawlerProcess.

Twisted's reactor cannot be restarted, so a process runs one crawl; the daemon runs each crawl in
a subprocess of its own.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import tempfile
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings
from twisted.python.failure import Failure

from crawler.config import AppConfig, SourceConfig, Workspace
from crawler.errors import ConfigError, CrawlError
from crawler.extensions.progress import close_display

logger = logging.getLogger(__name__)


@dataclass
class CrawlReport:
    """What one crawl did, overall and per source."""

    stats: dict[str, Any] = field(default_factory=dict)
    per_source: dict[str, dict[str, Any]] = field(default_factory=dict)
    interrupted: bool = False  # stopped by SIGINT/SIGTERM: its spiders closed with reason "shutdown"

    @property
    def items(self) -> int:
        return int(self.stats.get("item_scraped_count", 0))

    @property
    def errors(self) -> int:
        return int(self.stats.get("errors/total", 0))

    @property
    def responses(self) -> int:
        return int(self.stats.get("response_received_count", 0))


def scrapy_settings(workspace: Workspace, log_level: str = "WARNING", job: str | None = None) -> Settings:
    """The project's settings for a crawl of this data directory under this config file: the add-on
    (crawler/addon.py) applies the rest of the configuration, as it does for `scrapy crawl`."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    settings.set("FEEDARCHIVER_DATA", str(workspace.data), priority="cmdline")
    settings.set("FEEDARCHIVER_CONFIG", str(workspace.app.path) if workspace.app.path else "", priority="cmdline")
    if job:
        settings.set("FRONTIER_JOB", job, priority="cmdline")
    settings.set("LOG_LEVEL", log_level, priority="cmdline")
    # The CLI configures logging itself; Scrapy's root handler would print every line twice.
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    return settings


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class SignalWatch:
    """Whether a stop signal reached the crawl (Scrapy's handler starts a graceful stop; one that comes
    as the crawl ends stops nothing, but the user still asked to stop)."""

    def __init__(self) -> None:
        self.received = False

    def wrap(self) -> None:
        """Called once the reactor runs: chain a note in front of the handlers Scrapy installed."""
        for signum in (signal.SIGINT, signal.SIGTERM):
            handler = signal.getsignal(signum)
            if callable(handler):
                signal.signal(signum, self._noting(handler))

    def _noting(self, handler: Callable[[int, FrameType | None], Any]) -> Callable[[int, FrameType | None], Any]:
        def note(signum: int, frame: FrameType | None) -> Any:
            self.received = True
            return handler(signum, frame)

        return note


@contextmanager
def scrapy_signal_handlers() -> Iterator[SignalWatch]:
    """Put back the SIGINT/SIGTERM handlers that were there before the crawl.

    CrawlerProcess.start() (and Twisted's reactor) install their own and never restore them, so
    whatever runs after a crawl in the same process (the demo's export and server) could not be
    stopped: Scrapy's handler only asks an already stopped reactor to stop. Checked with Scrapy 2.19.
    A second signal during the crawl makes Scrapy stop uncleanly and ignore further signals: then
    KeyboardInterrupt is raised after the crawl, as Ctrl-C twice means "stop now".
    """
    watch = SignalWatch()
    if threading.current_thread() is not threading.main_thread():
        yield watch
        return
    from twisted.internet import reactor

    # Scrapy installs its handlers in an "after startup" trigger of start(): wrap them just after.
    reactor.callWhenRunning(reactor.callLater, 0, watch.wrap)
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    forced = False
    try:
        yield watch
    finally:
        forced = signal.getsignal(signal.SIGINT) == signal.SIG_IGN
        for signum, handler in previous.items():
            if handler is not None:  # (None: installed outside Python; nothing to put back)
                signal.signal(signum, handler)
    if forced:
        raise KeyboardInterrupt


def spiders_by_kind(settings: Settings) -> dict[str, type]:
    loader = SpiderLoader.from_settings(settings)
    found: dict[str, type] = {}
    for name in loader.list():
        cls = loader.load(name)
        kind = getattr(cls, "kind", "")
        if kind:
            found[kind] = cls
    return found


class CrawlRunner:
    def __init__(self, app: AppConfig, data_dir: Path, log_level: str = "WARNING",
                 overrides: dict[str, str] | None = None, job: str | None = None,
                 progress_sources: bool = False) -> None:
        self.app = app
        self.workspace = Workspace(app, data_dir)
        self.data_dir = data_dir
        if job and not app.settings.redis_url:
            raise ConfigError("--job shares a crawl through Redis: set redis_url in [settings]")
        self.settings = scrapy_settings(self.workspace, log_level, job)
        self.settings.set("PROGRESS_SOURCES", progress_sources, priority="cmdline")
        for name, value in (overrides or {}).items():
            self.settings.set(name, value, priority="cmdline")

    def _queue_dirs(self, kinds: list[str]) -> dict[str, Path]:
        """A scratch JOBDIR per crawler, so Scrapy's scheduler keeps its queue on disk (pickled requests)
        rather than in memory: one feed of 20,000 entries would otherwise hold 20,000 requests in RAM.
        Not with a shared frontier (scrapy-redis keeps it in Redis) nor when a JOBDIR is set (a
        resumable crawl). Deleted after the crawl; a crashed crawl's are deleted by the next one."""
        if self.settings.get("JOBDIR") or self.settings.get("FRONTIER_JOB") or self.settings.get("SCHEDULER") not in (
                None, "scrapy.core.scheduler.Scheduler"):
            return {}
        root = self.data_dir / "tmp"
        root.mkdir(parents=True, exist_ok=True)
        for stale in root.glob("queue-*"):
            pid = stale.name.split("-")[-2]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(stale, ignore_errors=True)
        return {kind: Path(tempfile.mkdtemp(prefix=f"queue-{kind}-{os.getpid()}-", dir=root)) for kind in kinds}

    def run(self, sources: list[SourceConfig]) -> CrawlReport:
        if not sources:
            raise ConfigError("no sources to crawl")
        kinds = spiders_by_kind(self.settings)
        groups: dict[str, list[SourceConfig]] = defaultdict(list)
        for source in sources:
            if source.kind not in kinds:
                raise ConfigError(f"source {source.name}: no spider crawls kind {source.kind!r}")
            groups[source.kind].append(source)
        process = CrawlerProcess(self.settings)
        crawlers = []
        failures: list[str] = []
        queues = self._queue_dirs(list(groups))
        for kind, group in groups.items():
            spidercls = kinds[kind]
            if kind in queues:  # per crawler: a spider setting, on a subclass made for this run
                custom = {**(getattr(spidercls, "custom_settings", None) or {}), "JOBDIR": str(queues[kind])}
                spidercls = type(spidercls.__name__, (spidercls,), {"custom_settings": custom})
            crawler = process.create_crawler(spidercls)
            crawlers.append(crawler)
            deferred = process.crawl(crawler, sources=group)

            def failed(failure: Failure, kind: str = kind) -> None:
                failures.append(f"{kind} crawl failed: {type(failure.value).__name__}: {failure.getErrorMessage()}")

            deferred.addErrback(failed)
        try:
            with scrapy_signal_handlers() as watch:
                process.start()
        finally:
            close_display()
            for directory in queues.values():
                shutil.rmtree(directory, ignore_errors=True)
        if failures:
            raise CrawlError("; ".join(failures))
        report = CrawlReport()
        for crawler in crawlers:
            for key, value in crawler.stats.get_stats().items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    # A crawler that fetched nothing leaves some of Scrapy's figures None.
                    before = report.stats.get(key)
                    report.stats[key] = (before if isinstance(before, int | float) else 0) + value
                else:
                    report.stats.setdefault(key, value)
        report.interrupted = watch.received or any(crawler.stats.get_value("finish_reason") == "shutdown"
                                                   for crawler in crawlers)
        for source in sources:
            prefix = f"source/{source.name}/"
            report.per_source[source.name] = {k.removeprefix(prefix): v for k, v in report.stats.items()
                                              if k.startswith(prefix)}
        return report

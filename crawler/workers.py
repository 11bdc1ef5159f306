"""CPU-heavy work (article extraction) in worker processes, so it never stalls the reactor.

The reactor thread moves every byte of every download; while it runs trafilatura nothing else
moves (bench/README.md has the measured lag). A process pool gives that work the other cores.
Workers are started with "spawn": forking a process that runs an event loop and threads is unsafe.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import ParamSpec, TypeVar

logger = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")


def default_workers() -> int:
    """One process per core beyond the reactor's own, at least one."""
    return max(1, (os.cpu_count() or 2) - 1)


def watch_parent(parent: int, interval: float = 1.0) -> None:
    """Worker initializer: exit once the crawl that started us is gone.

    A crawl killed with SIGKILL cannot shut its pool down, and an idle worker waits on its queue
    forever (tests/test_crash_kills.py left them behind by the dozen).
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(0)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


class CpuPool:
    """``await pool.run(fn, *args)``: in a worker process, or inline when workers is 0."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor: Executor | None = None

    def _ensure(self) -> Executor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=watch_parent, initargs=(os.getpid(),))
        return self._executor

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        if self.workers <= 0:
            return fn(*args, **kwargs)
        try:
            return await asyncio.wrap_future(self._ensure().submit(fn, *args, **kwargs))
        except BrokenProcessPool:
            # A worker died (OOM killer, a C extension crash on hostile input): do this one inline,
            # start a fresh pool for the next.
            logger.warning("extraction worker died; restarting the pool")
            self._executor = None
            return fn(*args, **kwargs)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

"""One thread per process that owns every write a crawl makes to its index.

Post upserts (with story assignment), digest-index rows and URL validators go through this thread,
so the reactor thread never waits for SQL and SQLite never sees two writers from one process (two
would contend for its one write lock, each waiting out the other's busy_timeout). The reactor gets
its answers as Deferreds; jobs run one at a time in the order they were submitted.

When a crawl opens the writer it first repairs the index: posts stored without a story (their story
assignment failed in an earlier crawl) are clustered, before any upsert of this crawl.

Digest-index rows are batched: every record queued since the last batch goes in one transaction.
Until it is committed, a queued record is answered from memory (`pending`), so a payload seen twice
within a crawl is a revisit the second time even before its row reaches the database. Reads other
than that (revisit lookups, validators, pictures archived before) stay with the caller: in WAL mode
a reader never waits for the writer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

from crawler.index.sql import SqlIndexStore
from crawler.index.store import Validators
from crawler.items import PayloadRecord

logger = logging.getLogger(__name__)

T = TypeVar("T")


class IndexWriter:
    """The writer thread of one index; get it with `shared_writer`, give it back with `release`."""

    def __init__(self, store: SqlIndexStore, reactor: Any = None) -> None:
        self.store = store
        self._reactor = reactor  # None: Twisted's installed reactor
        self._pool = ThreadPool(minthreads=1, maxthreads=1, name="index-writer")
        self._started = False
        self._lock = threading.Lock()
        self._pending: dict[str, PayloadRecord] = {}  # queued or being written, not yet committed
        self._queue: list[PayloadRecord] = []
        self._flush_scheduled = False
        self.batches = 0  # digest-index transactions, for the stats
        self.users = 0
        self.closed = False
        self.cpu_seconds = 0.0  # spent on the writer thread: what the reactor no longer does

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Deferred[T]:
        """Run ``fn`` on the writer thread after everything submitted before it; the result comes back
        on the reactor thread."""
        reactor: Any = self._reactor  # Any: Twisted's interfaces type their methods without `self`
        if reactor is None:
            from twisted.internet import reactor
        if not self._started:
            self._pool.start()
            self._started = True
            # A crawl that fails before its components give the writer back must not hang the exit.
            reactor.addSystemEventTrigger("after", "shutdown", self.close)
        return deferToThreadPool(reactor, self._pool, self._timed, fn, *args, **kwargs)

    def _timed(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        started = time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            self.cpu_seconds += time.thread_time() - started

    def repair(self) -> Deferred[int]:
        """Cluster the posts an earlier crawl stored without a story; fires with how many."""
        return self.submit(self._repair)

    def _repair(self) -> int:
        done = self.store.cluster_unassigned()
        if done:
            logger.warning("Index: %d posts stored without a story were clustered now", done)
        return done

    # -- the digest index -------------------------------------------------------------------------

    def payload_record(self, digest: str) -> PayloadRecord | None:
        """The full record of this payload: queued by this process, else in the index."""
        with self._lock:
            record = self._pending.get(digest)
        return record if record is not None else self.store.payload_record(digest)

    def add_payload_record(self, record: PayloadRecord) -> None:
        """Queue a payload archived in full (the record is already in its WARC file); the first record
        of a digest wins, in memory as in the database."""
        with self._lock:
            if record.digest in self._pending:
                return
            self._pending[record.digest] = record
            self._queue.append(record)
            if self._flush_scheduled:
                return
            self._flush_scheduled = True
        self.submit(self._flush_digests).addErrback(self._log_failure, "digest index batch")

    def _flush_digests(self) -> None:
        with self._lock:
            batch, self._queue = self._queue, []
            self._flush_scheduled = False
        try:
            self.store.add_payload_records(batch)
            self.batches += 1
        finally:
            # Committed (or failed and logged): the database answers from now on, memory stays flat.
            with self._lock:
                for record in batch:
                    if self._pending.get(record.digest) is record:
                        del self._pending[record.digest]

    def set_validators(self, validators: Validators) -> None:
        self.submit(self.store.set_validators, validators).addErrback(self._log_failure, "URL validators")

    @staticmethod
    def _log_failure(failure: Any, what: str) -> None:
        logger.error("Index: writing %s failed: %s", what, failure.getErrorMessage(),
                     exc_info=(failure.type, failure.value, failure.getTracebackObject()))

    # -- shut-down ----------------------------------------------------------------------------------

    def drain(self) -> Deferred[None]:
        """Fires once everything submitted so far is written."""
        return self.submit(lambda: None)

    def close(self) -> None:
        """Write what is queued, stop the thread and close the store (blocks until done)."""
        if self.closed:
            return
        self.closed = True
        if self._started:
            self._pool.stop()  # the thread finishes every queued job first
            self._started = False
        if self._queue:  # queued while the reactor was not running: write it here
            self._flush_digests()
        self.store.close()


_WRITERS: dict[tuple[str, float], IndexWriter] = {}
_WRITERS_LOCK = threading.Lock()


def shared_writer(url: str, *, story_threshold: float) -> IndexWriter:
    """The process's writer for this index, opened on first use (the crawl's start: its first job is
    `repair`); each user calls `release` once."""
    key = (url, story_threshold)
    with _WRITERS_LOCK:
        writer = _WRITERS.get(key)
        if writer is None:
            writer = _WRITERS[key] = IndexWriter(SqlIndexStore(url, story_threshold=story_threshold))
            writer.repair().addErrback(writer._log_failure, "the clustering of posts without a story")
        writer.users += 1
        return writer


def release(writer: IndexWriter) -> None:
    """A user is done: the last one writes what is left and closes the writer."""
    with _WRITERS_LOCK:
        writer.users -= 1
        if writer.users > 0:
            return
        for key, known in list(_WRITERS.items()):
            if known is writer:
                del _WRITERS[key]
    writer.close()

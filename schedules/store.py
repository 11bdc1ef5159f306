"""The daemon's job store: where it is, a read-only view for other processes, and the one-daemon lock.

APScheduler 3 assumes one scheduler per job store (two would both run every job), so the daemon
holds a lock for its lifetime: an advisory lock on PostgreSQL, an flock beside the SQLite file.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import pickle
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from sqlalchemy import Column, Float, LargeBinary, MetaData, Table, Unicode, create_engine, select, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from crawler.config import Settings
from crawler.errors import SchedulerError

logger = logging.getLogger(__name__)


def job_store_url(data_dir: Path, settings: Settings) -> str:
    """The configured job store, else DATA/schedules.sqlite3."""
    return settings.schedule_store_url or f"sqlite:///{(data_dir / 'schedules.sqlite3').resolve()}"


def engine_url(url: str) -> str:
    """SQLAlchemy's URL for ours: PostgreSQL through psycopg 3 (the only driver we install)."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def safe_url(url: str) -> str:
    """A job store URL fit for logs and error lines: no password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy parses: show only its scheme
        return url.split(":", 1)[0] + "://…"


def db_error(exc: SQLAlchemyError) -> str:
    """The driver's own message, on one line (SQLAlchemy adds the statement and a link on more)."""
    original = getattr(exc, "orig", None) or exc
    return f"{type(original).__name__}: " + " ".join(str(original).split())


def sqlite_path(url: str) -> Path | None:
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


@dataclass(frozen=True)
class JobInfo:
    """A stored job as another process sees it: when it runs next, and on what trigger."""

    id: str
    next_run_time: datetime | None
    trigger: BaseTrigger
    kwargs: dict[str, Any] = field(default_factory=dict)


def read_jobs(url: str, table: str) -> dict[str, JobInfo]:
    """The jobs in a store, without starting a scheduler or changing anything (no store yet: none)."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return {}
    jobs_t = Table(table, MetaData(), Column("id", Unicode(191), primary_key=True),
                   Column("next_run_time", Float(25)), Column("job_state", LargeBinary, nullable=False))
    engine = create_engine(engine_url(url), poolclass=NullPool)
    jobs: dict[str, JobInfo] = {}
    try:
        with engine.connect() as conn:
            if not engine.dialect.has_table(conn, table):
                return {}
            for row in conn.execute(select(jobs_t.c.id, jobs_t.c.job_state)):
                try:
                    state = pickle.loads(row.job_state)  # our own job store, written by our daemon
                except Exception as exc:  # an older or foreign job: skip it, the daemon replaces it
                    logger.warning("cannot read job %s in %s: %s", row.id, table, exc)
                    continue
                jobs[row.id] = JobInfo(id=row.id, next_run_time=state.get("next_run_time"),
                                       trigger=state["trigger"], kwargs=dict(state.get("kwargs") or {}))
    except SQLAlchemyError as exc:
        raise SchedulerError(f"cannot read the job store {safe_url(url)}: {db_error(exc)}") from None
    finally:
        engine.dispose()
    return jobs


class SchedulerLock:
    """Held while a daemon runs its schedules from one job store table; a second daemon fails to take it."""

    def __init__(self, url: str, table: str) -> None:
        self.url = url
        self.table = table
        self._fd: int | None = None
        self._conn: Connection | None = None

    def acquire(self) -> SchedulerLock:
        path = sqlite_path(self.url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            lock_path = path.with_name(f"{path.name}.{self.table}.lock")
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise SchedulerError(f"another daemon is running the schedules in {path} "
                                     f"(table {self.table}; lock {lock_path})") from None
            self._fd = fd
            return self
        # A session-level advisory lock, keyed by the table name, dies with the connection.
        key = int.from_bytes(hashlib.sha256(f"feedarchiver:{self.table}".encode()).digest()[:8], "big", signed=True)
        try:
            engine = create_engine(engine_url(self.url), poolclass=NullPool)
            conn = engine.connect()
            got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar_one()
            conn.commit()
        except SQLAlchemyError as exc:
            raise SchedulerError(f"cannot reach the job store {safe_url(self.url)}: {db_error(exc)}") from None
        if not got:
            conn.close()
            engine.dispose()
            raise SchedulerError(f"another daemon is running the schedules in {safe_url(self.url)} "
                                 f"(table {self.table})")
        self._conn = conn
        return self

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        if self._conn is not None:
            engine = self._conn.engine
            try:
                self._conn.close()  # ending the session (NullPool) releases its advisory lock
            except SQLAlchemyError as exc:
                logger.warning("closing the job store lock: %s", exc)
            engine.dispose()
            self._conn = None

    def __enter__(self) -> SchedulerLock:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

"""The daemon's job store: where it is, a read-only view for other processes, the one-daemon lock, and
its schema version.

APScheduler 3 assumes one scheduler per job store (two would both run every job), so the daemon
holds a lock for its lifetime: an advisory lock on PostgreSQL, an flock beside the SQLite file.

The job table's schema is versioned with Alembic (schedules/migrations; a version table per job table,
`alembic_version_<table>`): `feedarchiver migrate` upgrades it, and so does a daemon taking the lock on
a job store that exists already (a new one APScheduler creates, and the next start stamps).
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

from crawler.errors import SchedulerError
from crawler.index.migrate import Migration, current_revision, head, upgrade
from crawler.index.migrate import engine_url as engine_url  # the daemon builds its job store's URL with it

# Alembic's scripts for the job table (schedules/migrations).
JOB_STORE_SCRIPTS = Path(__file__).resolve().with_name("migrations")
JOB_STORE_BASELINE = "0001"
PG_IDENTIFIER_MAX = 63

logger = logging.getLogger(__name__)


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


def version_table(table: str) -> str:
    """The Alembic version table of a job table (PostgreSQL cuts names at 63 bytes: keep them apart)."""
    name = f"alembic_version_{table}"
    if len(name) <= PG_IDENTIFIER_MAX:
        return name
    return name[:PG_IDENTIFIER_MAX - 9] + "_" + hashlib.sha256(table.encode()).hexdigest()[:8]


def _lock_key(table: str) -> int:
    return int.from_bytes(hashlib.sha256(f"feedarchiver:{table}:schema".encode()).digest()[:8], "big", signed=True)


def job_store_exists(url: str, table: str) -> bool:
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return False
    engine = create_engine(engine_url(url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return engine.dialect.has_table(conn, table)
    finally:
        engine.dispose()


def migrate_job_store(url: str, table: str) -> Migration | None:
    """Bring an existing job table to the head revision (None: no job store yet, nothing to do); at
    head already, this is one read of its version."""
    try:
        if not job_store_exists(url, table):
            return None
        versions = version_table(table)
        engine = create_engine(engine_url(url), poolclass=NullPool)
        try:
            with engine.connect() as conn:
                current = current_revision(conn, versions)
        finally:
            engine.dispose()
        if current == head(JOB_STORE_SCRIPTS):
            return Migration(before=current, after=current)
        # APScheduler made the table (or an older daemon did): the baseline, stamped as it is.
        return upgrade(url, JOB_STORE_SCRIPTS, versions, _lock_key(table), baseline=JOB_STORE_BASELINE,
                       unversioned=lambda _conn: True, options={"job_table": table})
    except SQLAlchemyError as exc:
        raise SchedulerError(f"cannot migrate the job store {safe_url(url)} (table {table}): {db_error(exc)}") from None


class SchedulerLock:
    """Held while a daemon runs its schedules from one job store table; a second daemon fails to take it.
    Once held, an existing job table is brought to the head revision (by the one daemon, once)."""

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
            return self._migrated()
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
        return self._migrated()

    def _migrated(self) -> SchedulerLock:
        try:
            migrate_job_store(self.url, self.table)
        except BaseException:
            self.release()
            raise
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

"""Schema versions with Alembic, driven from code: no alembic.ini for the user to keep.

A store's schema is upgraded once: by `feedarchiver migrate`, or by the first open that finds it behind.
An open of an up-to-date store reads its version row and nothing else. The upgrade runs in one
transaction on a connection of its own, one process at a time: under a transaction-scoped advisory
lock on PostgreSQL (crawler processes start at once), under SQLite's write lock (BEGIN IMMEDIATE)
there; a process that waited finds the work done.

The index (crawler/index/migrations) and the daemon's job store (schedules/migrations) each have a
script directory; both run through `run_env`, called by their env.py.

An index made before versions existed (no version table, but a ``posts`` table) is brought to the
baseline in place (crawler/index/baseline.py, which also knows the layouts before it),
stamped with the baseline revision, upgraded to head, and its posts without a story are clustered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, column, create_engine, event, func, inspect, select, table
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

logger = logging.getLogger(__name__)

INDEX_SCRIPTS = Path(__file__).resolve().with_name("migrations")
INDEX_VERSION_TABLE = "alembic_version"
INDEX_BASELINE = "0001"  # today's schema when versions began (commit cb5cc80's tables)
# pg_advisory_xact_lock key serialising schema changes of the index (any constant of our own).
SCHEMA_LOCK_KEY = 0x66617263  # "farc"
# How long an opening process waits for another's SQLite upgrade (clustering an old index takes a while).
SQLITE_UPGRADE_WAIT_MS = 600_000


@dataclass(frozen=True)
class Migration:
    """What an upgrade did: the revision found (None: no version table) and the one left."""

    before: str | None
    after: str
    unversioned: bool = False  # an index from before versions: its posts without a story need clustering

    @property
    def changed(self) -> bool:
        return self.before != self.after


def engine_url(url: str) -> str:
    """SQLAlchemy's URL for ours: PostgreSQL through psycopg 3 (the only driver we install)."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def alembic_config(scripts: Path, connection: Connection | None = None, **attributes: Any) -> Config:
    """A Config for a script directory; env.py runs on ``connection`` (from `attributes`)."""
    config = Config()
    config.set_main_option("script_location", str(scripts))
    config.set_main_option("file_template", "r%%(rev)s_%%(slug)s")  # a module name mypy accepts
    config.attributes.update(attributes, connection=connection)
    return config


@cache
def head(scripts: Path = INDEX_SCRIPTS) -> str:
    """The newest revision of a script directory (read once per process)."""
    revision = ScriptDirectory.from_config(alembic_config(scripts)).get_current_head()
    assert revision is not None, f"no revisions in {scripts}"
    return revision


def current_revision(conn: Connection, version_table: str = INDEX_VERSION_TABLE) -> str | None:
    """The revision a database is at; None when it has no version table. What Alembic's
    `MigrationContext.get_current_revision` reads, without its log lines on every open."""
    if not inspect(conn).has_table(version_table):
        return None
    versions: list[str] = list(conn.execute(select(column("version_num")).select_from(table(version_table))).scalars())
    return ",".join(sorted(versions)) or None  # one row: our history has no branches


def run_env(context: Any) -> None:  # alembic.context: a module standing for the EnvironmentContext
    """The body of each env.py: migrate on the connection the driver passed (its transaction stays the
    driver's), else on one to the URL of the config (a developer's `command.revision(autogenerate=...)`)."""
    config: Config = context.config
    connection: Connection | None = config.attributes.get("connection")
    options: dict[str, Any] = {
        "version_table": config.attributes.get("version_table", INDEX_VERSION_TABLE),
        "target_metadata": config.attributes.get("target_metadata"),
        "render_as_batch": True,  # SQLite alters tables by copying them
        **config.attributes.get("options", {}),
    }
    if connection is not None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(engine_url(config.get_main_option("sqlalchemy.url") or ""), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            context.configure(connection=conn, **options)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


@contextmanager
def upgrade_transaction(url: str, lock_key: int) -> Iterator[Connection]:
    """One transaction on a connection of its own, held by one process at a time."""
    engine = _upgrade_engine(url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(select(func.pg_advisory_xact_lock(lock_key)))
            yield conn
    finally:
        engine.dispose()


def _upgrade_engine(url: str) -> Engine:
    engine = create_engine(engine_url(url), poolclass=NullPool)
    if engine.dialect.name == "sqlite":
        # pysqlite neither begins a transaction before DDL nor takes the write lock up front: begin
        # ourselves, IMMEDIATE, so the upgrade is one transaction and a second process waits for it.
        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_UPGRADE_WAIT_MS}")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    return engine


def upgrade(url: str, scripts: Path, version_table: str, lock_key: int, *, baseline: str,
            unversioned: Callable[[Connection], bool], then: Callable[[Connection], object] | None = None,
            **attributes: Any) -> Migration:
    """Bring a database to the head of ``scripts``. Without a version table, ``unversioned`` (called
    inside the lock) brings a schema made before versions to ``baseline`` and returns True, which is
    then stamped; it returns False for an empty database, which the revisions build from the start.
    ``then`` finishes such an upgraded schema at head, in the same transaction (so no other process
    sees it half done)."""
    target = head(scripts)
    with upgrade_transaction(url, lock_key) as conn:
        before = current_revision(conn, version_table)
        if before == target:  # another process did it while this one waited for the lock
            return Migration(before=before, after=target)
        config = alembic_config(scripts, conn, version_table=version_table, **attributes)
        stamped = before is None and unversioned(conn)
        if stamped:
            command.stamp(config, baseline)
        command.upgrade(config, "head")
        if stamped and then is not None:
            then(conn)
        after = current_revision(conn, version_table)
    assert after == target, (after, target)
    logger.info("Schema (%s) upgraded from %s to %s", version_table, before or "no version", after)
    return Migration(before=before, after=target, unversioned=stamped)


# -- the index -------------------------------------------------------------------------------------------


def _index_to_baseline(conn: Connection) -> bool:
    from crawler.index.baseline import repair

    if not inspect(conn).has_table("posts"):
        return False  # an empty database: the baseline revision creates it
    logger.info("Index has no schema version: bringing it to the baseline in place")
    repair(conn)
    return True


def upgrade_index(url: str, cluster: Callable[[Connection], int]) -> Migration:
    """Bring an index to the head revision (see the module docstring); at head already: nothing.
    ``cluster`` puts the posts of an index from before versions into stories (at head)."""
    return upgrade(url, INDEX_SCRIPTS, INDEX_VERSION_TABLE, SCHEMA_LOCK_KEY, unversioned=_index_to_baseline,
                   then=cluster, baseline=INDEX_BASELINE, target_metadata=_target_metadata())


def index_is_current(engine: Engine) -> bool:
    """The check every open makes: one read of the version row."""
    with engine.connect() as conn:
        return current_revision(conn) == head()


def _target_metadata() -> MetaData:
    from crawler.index.schema import metadata

    return metadata

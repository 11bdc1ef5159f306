"""Schema versions (Alembic): an index made before versions upgrades in place, an up-to-date one opens
with one version read, concurrent opens upgrade once, the revisions build exactly the tables the code
uses, and the daemon's job store is versioned too. On SQLite and the real PostgreSQL (`index_url`)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine

from crawler.cli import main
from crawler.content.search import parse_query
from crawler.content.text import content_hash
from crawler.demoweb import DemoWeb
from crawler.index import SqlIndexStore
from crawler.index.migrate import engine_url, head
from crawler.index.schema import metadata
from crawler.items import PostItem
from schedules.store import JOB_STORE_SCRIPTS, SchedulerLock, migrate_job_store, read_jobs, version_table
from tests.conftest import ROOT, run_cli
from tests.test_digest_index import InlineReactor
from tests.test_neardup import MARATHON, ORIGINAL, text_of

DATA = Path(__file__).resolve().parent / "data"
T1 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def load_v0(url: str) -> None:
    """The fixture index of the schema before versions (tests/data/make_index_v0.py wrote it)."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        conn = sqlite3.connect(path)
        try:
            conn.executescript((DATA / "index-v0.sqlite.sql").read_text(encoding="utf-8"))
        finally:
            conn.close()
        return
    with psycopg.connect(url, autocommit=True) as pg:
        pg.execute((DATA / "index-v0.postgresql.sql").read_text(encoding="utf-8"))  # type: ignore[arg-type]


def raw(url: str, query: str) -> list[tuple[Any, ...]]:
    engine = create_engine(engine_url(url))
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(query))]
    finally:
        engine.dispose()


def schema_diff(url: str) -> list[Any]:
    """What Alembic's autogenerate would change to make the database match crawler/index/schema.py."""
    engine = create_engine(engine_url(url))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            # The search index's tables are raw SQL (an FTS5 table and its shadows: crawler/index/search.py).
            # SQLite cannot ALTER a constraint in: a process that created a PostgreSQL index first (this
            # test session) leaves stories.post_id's use_alter foreign key out of later SQLite indexes
            # (SQLAlchemy state, seen with 2.0); the store writes a story and its posts in one transaction.
            return [d for d in compare_metadata(context, metadata)
                    if not (d[0] == "remove_table" and d[1].name == "alembic_version")
                    and not (conn.dialect.name == "sqlite" and d[0] == "add_fk" and d[1].table.name == "stories")
                    and not (d[0] in ("remove_table", "remove_index")
                             and d[1].name.startswith(("search_", "ix_search_")))]
    finally:
        engine.dispose()


def post(url: str, page: str, role: str = "copy") -> PostItem:
    body = text_of(page)
    return PostItem(source=url.split("/")[2].split(".")[0], url=url, role=role,  # type: ignore[arg-type]
                    title=body.splitlines()[0][:30], text=body, body_html=f"<p>{body}</p>", published=T1,
                    content_hash=content_hash(body))


def test_an_index_from_before_versions_upgrades_in_place(index_url: str) -> None:
    load_v0(index_url)
    posts_before = raw(index_url, "SELECT p.key, s.key FROM posts p LEFT JOIN stories s ON s.id = p.story_id "
                                  "ORDER BY p.id")
    revision_before = raw(index_url, "SELECT value FROM revisions")[0][0]
    assert len(posts_before) == 4 and [story for _, story in posts_before].count(None) == 1  # one unclustered
    store = SqlIndexStore(index_url)
    try:
        assert store.migration is not None and store.migration.unversioned
        assert (store.migration.before, store.migration.after) == (None, head())
        # Every post and story survives, with its key; the post stored without a story got one of its own.
        assert [(p.key, p.story_key) for p in sorted(store.posts(), key=lambda p: p.id)] == [
            (key, story or key) for key, story in posts_before]
        assert sorted(s.key for s in store.stories()) == sorted({story or key for key, story in posts_before})
        assert store.revision() > revision_before  # the clustering is news to the next export
        assert {h.key for h in store.story_heads(changed_since=revision_before)} == {s.key for s in store.stories()}
        assert [r.status for r in store.recent_runs()["cyol"]] == ["ok"]
        assert store.source_states()["kuaixun"].blocked_by == "aliyun"
        assert len(store.payload_records()) == 1 and store.validators("http://cyol.example/feed") is not None
        assert [f.name for f in store.archived_files(pending=True)] == ["feedarchiver-20261120080000-00000.warc.gz"]
        assert len(store.all_captures()) == 4 and len(store.media()) == 1
        # The upgrade filled the search index from the posts it found (migration 0002).
        title = sorted(store.posts(), key=lambda p: p.id)[0].title
        assert store.search(parse_query(title[:4])), title
        # New writes: a new story, and a copy of a stored one joining it.
        assert store.upsert_post(post("http://new.example/1", MARATHON)).story_outcome == "new"
        joined = store.upsert_post(post("http://other.example/2", ORIGINAL))
        assert (joined.outcome, joined.story_outcome) == ("duplicate", "same")
        assert store.count_posts() == 5
    finally:
        store.close()
    assert schema_diff(index_url) == []  # upgraded in place, it is the schema a new index gets
    reopened = SqlIndexStore(index_url)
    try:
        assert reopened.migration is None and reopened.count_stories() == 4
    finally:
        reopened.close()


def test_a_new_index_is_built_by_the_revisions_as_the_code_declares_it(index_url: str) -> None:
    store = SqlIndexStore(index_url)
    try:
        assert store.migration is not None and (store.migration.before, store.migration.after) == (None, head())
        assert not store.migration.unversioned and store.revision() == 0
    finally:
        store.close()
    assert schema_diff(index_url) == []


def test_an_up_to_date_index_opens_with_one_version_read(index_url: str) -> None:
    SqlIndexStore(index_url).close()
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        store = SqlIndexStore(index_url)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    try:
        assert store.migration is None
        ours = [s for s in statements if "alembic_version" in s]
        assert 1 <= len(ours) <= 2, statements  # has the version table? its row
        touched = [(s, name) for s in statements for name in metadata.tables if f'"{name}"' in s or f" {name}" in s]
        assert not touched, touched  # no table of the index is inspected or read
        assert store.count_posts() == 0
    finally:
        store.close()


OPEN = ("import sys; from crawler.index import SqlIndexStore; s = SqlIndexStore(sys.argv[1]); "
        "m = s.migration; print(bool(m and m.unversioned), s.count_stories()); s.close()")


def test_concurrent_opens_of_an_old_index_upgrade_it_once(index_url: str) -> None:
    load_v0(index_url)
    processes = [subprocess.Popen([sys.executable, "-c", OPEN, index_url], cwd=ROOT, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err
        results.append(out.split())
    assert sorted(results) == [["False", "3"], ["False", "3"], ["True", "3"]]
    assert raw(index_url, "SELECT version_num FROM alembic_version") == [(head(),)]


def test_a_post_left_without_a_story_is_clustered_when_a_crawl_starts(index_url: str) -> None:
    load_v0(index_url)
    SqlIndexStore(index_url).close()  # upgraded: clustered
    engine = create_engine(engine_url(index_url))
    with engine.begin() as conn:  # a later story assignment failed
        conn.execute(text("UPDATE posts SET story_id = NULL WHERE url = 'http://qutoutiao.example/3'"))
        conn.execute(text("DELETE FROM stories WHERE key = '4051266518e0adbe873e'"))
    engine.dispose()
    store = SqlIndexStore(index_url)
    try:
        assert {p.url: p.story_key for p in store.posts()}["http://qutoutiao.example/3"] is None  # open: no repair
        from crawler.index.writer import IndexWriter

        writer = IndexWriter(store, reactor=InlineReactor())
        done: list[int] = []
        writer.repair().addCallback(done.append)
        writer.drain()
        writer.close()
        assert done == [1]
    finally:
        store.close()
    store = SqlIndexStore(index_url)
    try:
        assert {p.url: p.story_key for p in store.posts()}["http://qutoutiao.example/3"] == "4051266518e0adbe873e"
    finally:
        store.close()


# -- the daemon's job store --------------------------------------------------------------------------------


def make_job_store(url: str, table: str) -> None:
    """A job table as APScheduler 3 makes it (no version), holding one job."""
    store = SQLAlchemyJobStore(url=engine_url(url), tablename=table)
    scheduler = BackgroundScheduler(timezone=UTC)  # never started: no thread to race the store's shutdown
    store.start(scheduler, "default")
    store.add_job(Job(scheduler, id="papers", func="builtins:print", trigger=IntervalTrigger(seconds=60, timezone=UTC),
                      executor="default", args=(), kwargs={"sep": " "}, name="papers", misfire_grace_time=60,
                      coalesce=True, max_instances=1, next_run_time=T1))
    store.shutdown()


def test_an_apscheduler_job_table_is_stamped_and_keeps_its_jobs(index_url: str) -> None:
    table = f"jobs_{uuid.uuid4().hex[:10]}"
    assert migrate_job_store(index_url, table) is None  # no job store yet: nothing, and nothing created
    make_job_store(index_url, table)
    done = migrate_job_store(index_url, table)
    assert done is not None and (done.before, done.after) == (None, head(JOB_STORE_SCRIPTS))
    assert raw(index_url, f"SELECT version_num FROM {version_table(table)}") == [(head(JOB_STORE_SCRIPTS),)]
    assert read_jobs(index_url, table)["papers"].kwargs == {"sep": " "}
    again = migrate_job_store(index_url, table)
    assert again is not None and not again.changed
    with SchedulerLock(index_url, table):  # a daemon's start checks it too, and changes nothing
        assert list(read_jobs(index_url, table)) == ["papers"]


def test_job_tables_named_alike_keep_apart_version_tables() -> None:
    long = "j" * 63
    assert version_table("jobs") == "alembic_version_jobs"
    assert len(version_table(long)) <= 63 and version_table(long) != version_table(long[:-1] + "k")


# -- the command ---------------------------------------------------------------------------------------------


def test_migrate_command_upgrades_index_and_job_store_once(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FEEDARCHIVER_INDEX_URL", "FEEDARCHIVER_SCHEDULE_STORE_URL", "FEEDARCHIVER_SCHEDULE_STORE_TABLE"):
        monkeypatch.delenv(name, raising=False)
    data = tmp_path / "data"
    data.mkdir()
    config = tmp_path / "feedarchiver.toml"
    config.write_text("[settings]\n", encoding="utf-8")
    load_v0(f"sqlite:///{data / 'index.sqlite3'}")
    make_job_store(f"sqlite:///{data / 'schedules.sqlite3'}", "feedarchiver_jobs")
    assert main(["migrate", "--data", str(data), "--config", str(config)]) == 0
    first = capsys.readouterr().out
    assert f"upgraded from no version to {head()}" in first.splitlines()[0]
    assert f"(table feedarchiver_jobs): upgraded from no version to {head(JOB_STORE_SCRIPTS)}" in first
    assert main(["migrate", "--data", str(data), "--config", str(config)]) == 0
    second = capsys.readouterr().out.splitlines()
    assert [line.rsplit(": ", 1)[1] for line in second] == ["up to date", "up to date"]
    engine = create_engine(f"sqlite:///{data / 'index.sqlite3'}")
    try:
        assert "alembic_version" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


# -- the crawl-start repair, in a real crawl ------------------------------------------------------------------


@pytest.mark.crawl
def test_a_crawl_clusters_posts_an_earlier_crawl_left_without_a_story(demo_web: DemoWeb, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from crawler.index.stories import StoryClusterer

    data = tmp_path / "data"
    config = tmp_path / "sources.toml"
    config.write_text(demo_web.sources_toml(), encoding="utf-8")
    url = f"sqlite:///{data / 'index.sqlite3'}"

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("clustering bug")

    store = SqlIndexStore(url)
    try:
        monkeypatch.setattr(StoryClusterer, "assign", broken)
        assert store.upsert_post(post("http://elsewhere.example/1", MARATHON)).story_outcome == "error"
        monkeypatch.undo()
    finally:
        store.close()
    crawl = run_cli("crawl", "cyol", "--config", str(config), "--data", str(data))
    assert crawl.returncode == 0, crawl.stdout + crawl.stderr
    assert "1 posts stored without a story were clustered now" in crawl.stderr
    store = SqlIndexStore(url)
    try:
        assert all(p.story_key for p in store.posts()) and store.count_posts() > 1
    finally:
        store.close()

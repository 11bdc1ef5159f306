"""Write the fixture indexes of the last schema without a version table (tests/test_migrations.py).

Run it in a checkout of commit cb5cc80 (the index store before Alembic), from the repository root:

    python tests/data/make_index_v0.py

It builds a small index with that commit's own store on SQLite and on the test PostgreSQL, then dumps
each as SQL text: tests/data/index-v0.sqlite.sql and tests/data/index-v0.postgresql.sql. The index holds
two stories (one of two posts), a post whose story assignment failed (stored without a story), captures,
a picture, a run, a block, a digest-index row, URL validators and an archive file. Later code makes
versioned indexes, so it must not be run again after that commit.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from crawler.content.text import content_hash  # noqa: E402
from crawler.index import SqlIndexStore, Validators  # noqa: E402
from crawler.index.stories import StoryClusterer  # noqa: E402
from crawler.items import PayloadRecord, PostItem  # noqa: E402
from tests.test_neardup import BATTERY, EDITED_COPY, ORIGINAL, SNOW, text_of  # noqa: E402

POSTGRES_URL = os.environ.get("FEEDARCHIVER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1/test")
HERE = Path(__file__).resolve().parent
HEADER = "An index of the schema before Alembic (commit cb5cc80), written by tests/data/make_index_v0.py\n"
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def post(url: str, page: str, *, role: str = "copy", original_url: str | None = None, n: int = 0) -> PostItem:
    text = text_of(page)
    return PostItem(
        source=url.split("/")[2].split(".")[0], url=url, role=role,  # type: ignore[arg-type]
        title=text.splitlines()[0][:30], text=text, body_html=f"<p>{text}</p>", published=T0,
        original_url=original_url, content_hash=content_hash(text), categories=["news"],
        captures=[{"warc_file": "feedarchiver-20261120080000-00000.warc.gz", "offset": 1000 * n, "length": 900,
                   "record_id": f"<urn:uuid:{uuid.UUID(int=n + 1)}>", "url": url,
                   "captured_at": "2026-11-20T08:00:00Z"}],
        media=[{"sha256": "ab" * 32, "path": "ab/ab/" + "ab" * 32 + ".png", "url": "http://img.example/a.png",
                "media_type": "image/png", "width": 10, "height": 10, "size": 67}] if n == 0 else [],
    )


def fill(url: str) -> None:
    store = SqlIndexStore(url)
    try:
        store.upsert_post(post("http://cyol.example/1", ORIGINAL, role="original", n=0))
        store.upsert_post(post("http://kuaixun.example/2", EDITED_COPY, original_url="http://cyol.example/1", n=1))
        store.upsert_post(post("http://qutoutiao.example/3", BATTERY, n=2))
        assign = StoryClusterer.assign

        def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("clustering bug")

        StoryClusterer.assign = broken  # type: ignore[method-assign]
        try:
            result = store.upsert_post(post("http://kuaixun.example/4", SNOW, n=3))
        finally:
            StoryClusterer.assign = assign  # type: ignore[method-assign]
        assert result.story_outcome == "error"
        run = store.start_run("cyol")
        store.finish_run(run, status="ok", items=2, errors=0, details={"pages": 3}, last_error=None)
        store.record_block("kuaixun", "aliyun", 60)
        store.add_payload_record(PayloadRecord(digest="sha1:" + "A" * 32, url="http://cyol.example/1",
                                               captured_at="2026-11-20T08:00:00Z", record_id="<urn:uuid:r1>",
                                               warc_file="feedarchiver-20261120080000-00000.warc.gz", offset=0,
                                               length=900))
        store.set_validators(Validators(url="http://cyol.example/feed", etag='"v1"', last_modified=None,
                                        digest="sha1:" + "A" * 32))
        store.add_archive_file("warc", "feedarchiver-20261120080000-00000.warc.gz", 4000, "cd" * 32)
    finally:
        store.close()


def sqlite_dump() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "index.sqlite3"
        fill(f"sqlite:///{path}")
        conn = sqlite3.connect(path)
        try:
            return "-- " + HEADER + "\n".join(conn.iterdump()) + "\n"
        finally:
            conn.close()


def postgresql_dump() -> str:
    schema = f"make_index_v0_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        fill(f"{POSTGRES_URL}?options=-csearch_path%3D{schema}")
        dumped = subprocess.run(["pg_dump", "--no-owner", "--no-privileges", "--inserts", f"--schema={schema}",
                                 POSTGRES_URL.replace("postgresql://", "postgres://")],
                                capture_output=True, text=True, check=True).stdout
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    # Loadable into whatever schema the search path names: no schema of its own, no session settings.
    dumped = dumped.replace(f"{schema}.", "")
    kept = [line for line in dumped.splitlines()
            if not re.match(r"(--|SET |SELECT pg_catalog\.set_config|CREATE SCHEMA|\\)", line)]
    return "-- " + HEADER + re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip() + "\n"


if __name__ == "__main__":
    (HERE / "index-v0.sqlite.sql").write_text(sqlite_dump(), encoding="utf-8")
    (HERE / "index-v0.postgresql.sql").write_text(postgresql_dump(), encoding="utf-8")

"""How long an export takes at 10k and 100k stories, and what an incremental export costs.

    .venv/bin/python bench/export_scale.py --stories 10000
    .venv/bin/python bench/export_scale.py --stories 100000

An SQLite index is filled directly with N stories (one post each, ~2 kB of HTML, five sources with
group/source/channel categories, first seen one second apart), then `export_all` runs: a full export
into an empty feeds directory; the same export again with nothing changed (the index's revision has
not moved: nothing is read); again without that shortcut (every document's heads compared with the
last export's); then one after each batch of changes (`--changes`, default 20 and 1,000 new posts)
arrives through the store's real upsert path; and one after 20 of the oldest stories are copied by
another source. Each line gives wall time, files written and left alone, the entries loaded in full
from the index, and the process's peak memory.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import resource
import sqlite3
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawler.config import load_config
from crawler.content.text import content_hash
from crawler.index import SqlIndexStore, StoredPost, StoredStory
from crawler.items import PostItem
from exporters import export_all
from exporters.plan import State

SOURCES = {f"src{n}": ["新媒体", f"来源{n}", f"频道{n % 3}"] for n in range(5)}
START = datetime(2026, 1, 1, tzinfo=UTC)
CJK = [chr(c) for c in range(0x4E00, 0x4E00 + 20000)]
PARAGRAPH = "本报记者报道，这是一段用来衡量导出速度的新闻正文，长度与真实文章相当。" * 4


def fill(db_path: Path, count: int) -> None:
    SqlIndexStore(f"sqlite:///{db_path}").close()  # the schema
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    posts, stories, urls = [], [], []
    for n in range(1, count + 1):
        source = f"src{n % len(SOURCES)}"
        text = f"第{n}条。{PARAGRAPH}"
        key = content_hash(text)
        when = str((START + timedelta(seconds=n)).replace(tzinfo=None))
        body = "".join(f"<p>{text}</p>" for _ in range(5))
        url = f"http://{source}.example/a/{n}.html"
        posts.append((n, key[:20], key, source, url, f"第{n}条新闻", when, when,
                      json.dumps(SOURCES[source], ensure_ascii=False), body, text * 5, when, n))
        stories.append((n, key[:20], n, when))
        urls.append((n, url, source, when, when))
    with db:
        db.execute("PRAGMA defer_foreign_keys=ON")
        db.executemany("INSERT INTO posts (id, key, content_hash, source, url, has_original, title, published, "
                       "updated, categories, body_html, text, first_seen, story_id) "
                       "VALUES (?,?,?,?,?,1,?,?,?,?,?,?,?,?)", posts)
        db.executemany("INSERT INTO stories (id, key, post_id, first_seen) VALUES (?,?,?,?)", stories)
        db.executemany("INSERT INTO post_urls (post_id, url, source, role, first_seen, last_seen) "
                       "VALUES (?,?,?,'original',?,?)", urls)
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stories", type=int, default=10_000)
    parser.add_argument("--feed-length", type=int, default=50)
    parser.add_argument("--changes", default="20,1000", help="new posts before each incremental export")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fa-export-"))
    config = work / "bench.toml"
    config.write_text(f"[settings]\nfeed_length = {args.feed_length}\nhexo = true\n" + "".join(
        f'[sources.{name}]\nkind = "feed"\nurls = ["http://{name}.example/feed"]\n'
        f"categories = {json.dumps(cats, ensure_ascii=False)}\n" for name, cats in SOURCES.items()), encoding="utf-8")
    app = load_config(config)
    began = time.perf_counter()
    # In a child process, so that the peak memory printed below is the exports' own.
    filler = multiprocessing.get_context("spawn").Process(target=fill, args=(work / "index.sqlite3", args.stories))
    filler.start()
    filler.join()
    if filler.exitcode:
        raise SystemExit(f"filling the index failed (exit code {filler.exitcode})")
    print(f"filled {args.stories} stories in {time.perf_counter() - began:.1f} s")
    store = CountingStore(f"sqlite:///{work / 'index.sqlite3'}")

    def run(label: str) -> None:
        store.loaded = 0
        began, cpu = time.perf_counter(), time.process_time()
        summary = export_all(store, app, work)
        wall, cpu = time.perf_counter() - began, time.process_time() - cpu
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # CPU beside wall: on shared cores the wall time says as much about the neighbours.
        print(f"{label:32s} {wall:7.2f} s  cpu {cpu:6.2f} s  {len(summary.written):6d} files written  "
              f"{len(summary.unchanged):6d} unchanged  {store.loaded:6d} loaded  peak {peak:6.0f} MB", flush=True)

    run("full export")
    run("again, nothing changed")
    # No shortcut: the last export's revision forgotten, every feed laid out and every document checked from heads.
    state = State.load(work)
    assert state is not None
    replace(state, revision=None).save(work)
    run("again, checked from heads")
    added = 0
    for batch in (int(n) for n in args.changes.split(",") if n):
        for n in range(added, added + batch):
            # Distinct texts, so each new post is a new story rather than a near-duplicate of the others.
            text = "".join(random.Random(n).choices(CJK, k=400))
            store.upsert_post(PostItem(source="src1", url=f"http://src1.example/new/{n}.html", role="original",
                                       title=f"新到的第{n}条", text=text, body_html=f"<p>{text}</p>",
                                       categories=SOURCES["src1"], published=datetime.now(UTC),
                                       content_hash=content_hash(text)))
        added += batch
        run(f"after {batch} new posts")
    for n in range(1, 21):  # the oldest stories, seen again at another source: a new via link each
        text = f"第{n}条。{PARAGRAPH}"  # the same text as the stored post: a duplicate, not a new story
        store.upsert_post(PostItem(source="src2", url=f"http://src2.example/copy/{n}.html", role="copy",
                                   title=f"第{n}条新闻", text=text, body_html=f"<p>{text}</p>",
                                   categories=SOURCES["src2"], content_hash=content_hash(text)))
    run("after 20 old stories copied")
    store.close()


class CountingStore(SqlIndexStore):
    """Counts the stories and posts an export loads in full (the rest it knows from their heads)."""

    loaded = 0

    def load_stories(self, ids: list[int]) -> list[StoredStory]:
        self.loaded += len(ids)
        return super().load_stories(ids)

    def load_posts(self, ids: list[int]) -> list[StoredPost]:
        self.loaded += len(ids)
        return super().load_posts(ids)


if __name__ == "__main__":
    main()

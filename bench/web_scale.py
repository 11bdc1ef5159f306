"""How fast the web app's pages answer over a large index: 100k stories by default.

The index is filled by bulk inserts into the store's own tables (crawler/index/sql.py), shaped like a
crawl's: a third of the stories have 2-4 copies from other sources, one of them an original; each
post has a 1,500-character Chinese text and its HTML, a URL per sighting, a capture, and the
representative a picture. Then `serve`'s app (web/service.py on uvicorn, on loopback) answers each page
``--requests`` times over HTTP; p50/p95 of the wall time and the size of the answer (without pictures)
are printed as a Markdown table.

    .venv/bin/python bench/web_scale.py [--stories 100000] [--requests 40] [--index URL]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.config import AppConfig, Settings, SourceConfig  # noqa: E402
from crawler.index import SqlIndexStore  # noqa: E402
from crawler.index.sql import captures, media, post_media, post_urls, posts, source_runs, stories  # noqa: E402
from web.service import published_server  # noqa: E402

SOURCES = [("qutoutiao", True, ("新媒体", "趣头条", "科技")), ("zaker", True, ("新媒体", "ZAKER", "热点")),
           ("kuaixun", True, ("新媒体", "快讯网", "综合")), ("cyol", False, ("媒体", "中国青年报", "要闻")),
           ("gbknews", False, ("媒体", "江城新闻网", "民生")), ("rare", False, ("媒体", "小报", "本地"))]
START = datetime(2026, 1, 1, tzinfo=UTC)
BATCH = 2000


def chinese(rng: random.Random, chars: int) -> str:
    return "".join(chr(0x4E00 + int(rng.paretovariate(1.2)) % 3500) for _ in range(chars))


def fill(url: str, count: int, seed: int = 1) -> tuple[str, list[str]]:
    """Bulk-insert ``count`` stories; returns a story key with copies and a few keys to visit."""
    rng = random.Random(seed)
    store = SqlIndexStore(url)  # creates the schema
    engine = store.engine
    base_text = chinese(rng, 1500)
    rows: dict[str, list[dict[str, Any]]] = {t: [] for t in ("posts", "post_urls", "stories", "captures",
                                                             "media", "post_media")}
    post_id = url_id = 0
    keys: list[str] = []

    def flush() -> None:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # stories and posts point at each other: checks off to fill
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            for table in (stories, posts, post_urls, captures, media, post_media):
                if rows[table.name]:
                    conn.execute(table.insert(), rows[table.name])
                    rows[table.name].clear()

    if engine.dialect.name == "sqlite":  # (the pool's one connection keeps it)
        with engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    for story_id in range(1, count + 1):
        when = START + timedelta(minutes=5 * story_id)
        # The rare source has few stories: its filter is the other path of web/queries.py.
        first_source = "rare" if story_id % 500 == 0 else SOURCES[rng.randrange(5)][0]
        n_copies = rng.choice((1, 1, 2, 3, 4)) if story_id % 3 == 0 else 1
        members = [first_source] + [SOURCES[rng.randrange(5)][0] for _ in range(n_copies - 1)]
        representative = post_id + 1
        key = f"{story_id:020x}"
        keys.append(key)
        offset = rng.randrange(1000)
        for index, source in enumerate(members):
            post_id += 1
            text = base_text[offset:] + base_text[:offset] + (chinese(rng, 40) if index else "")
            page = f"https://{source}.example/{story_id}/{index}.html"
            rows["posts"].append({
                "id": post_id, "key": key if index == 0 else f"{post_id:020x}p", "content_hash": f"{post_id:064x}",
                "source": source, "url": page, "original_url": None, "has_original": index == 1,
                "title": chinese(rng, 24), "author": None, "source_name": "中国青年报", "published": when,
                "updated": when, "categories": "[]", "body_html": "<p>" + text.replace("。", "。</p><p>") + "</p>",
                "text": text, "summary": None, "lead_image": None, "first_seen": when, "story_id": story_id,
                "revision": story_id})
            url_id += 1
            rows["post_urls"].append({"id": url_id, "post_id": post_id, "url": page, "source": source,
                                      "role": "original" if index == 1 else "copy", "feed_entry_id": None,
                                      "first_seen": when, "last_seen": when})
            rows["captures"].append({"post_id": post_id, "url": page, "warc_file": "bench.warc.gz", "offset": 0,
                                     "length": 1, "record_id": f"<urn:uuid:{post_id}>",
                                     "captured_at": when.strftime("%Y-%m-%dT%H:%M:%SZ")})
        rows["stories"].append({"id": story_id, "key": key, "post_id": representative, "first_seen": when,
                                "revision": story_id})
        digest = f"{story_id:064x}"
        rows["media"].append({"id": story_id, "sha256": digest, "path": f"{digest[:2]}/{digest[2:4]}/{digest}.jpg",
                              "media_type": "image/jpeg", "width": 640, "height": 360, "size": 40_000,
                              "first_url": f"https://img.example/{story_id}.jpg", "first_seen": when})
        rows["post_media"].append({"post_id": representative, "media_id": story_id,
                                   "url": f"https://img.example/{story_id}.jpg", "position": 0})
        if len(rows["posts"]) >= BATCH:
            flush()
    flush()
    with engine.begin() as conn:
        for name, _aggregator, _categories in SOURCES:
            for run in range(10):
                started = START + timedelta(hours=run)
                conn.execute(source_runs.insert().values(source=name, started_at=started, finished_at=started,
                                                         status="ok", items=run, errors=0, details="{}"))
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")  # what autovacuum does soon after a load: plans need statistics
    store.close()
    copied = next(k for i, k in enumerate(keys, 1) if i % 3 == 0 and i > count // 2)
    return copied, keys


def timed(url: str, runs: int) -> tuple[float, float, int]:
    times: list[float] = []
    size = 0
    for _ in range(runs):
        start = time.perf_counter()
        with urllib.request.urlopen(url, timeout=30) as response:
            size = len(response.read())
            assert response.status == 200, url
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40, help="requests per page")
    parser.add_argument("--index", help="index store URL (default: a SQLite file in a temporary directory)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        url = args.index or f"sqlite:///{data / 'index.sqlite3'}"
        started = time.perf_counter()
        story_key, _keys = fill(url, args.stories)
        print(f"filled {args.stories} stories in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})")
        app = AppConfig(settings=Settings(index_url=url), sources={
            name: SourceConfig(name=name, kind="feed", urls=(f"https://{name}.example/feed",), title=f"{name} 新闻",
                               categories=categories, aggregator=aggregator)
            for name, aggregator, categories in SOURCES})
        server = published_server(data, "127.0.0.1", 0, app)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        middle = args.stories // 2
        pages = [
            ("/ (newest)", "/"),
            ("/ page in the middle", f"/?before={middle}"),
            ("/ last page", "/?before=31"),
            ("/?source= (common)", "/?source=zaker"),
            ("/?source= (rare)", "/?source=rare"),
            ("/?category= (group)", "/?category=%E5%AA%92%E4%BD%93"),
            ("/?date= (a day in the middle)", f"/?date={(START + timedelta(minutes=5 * middle)).date()}"),
            ("/?date= (the oldest day)", f"/?date={START.date()}"),
            ("/stories/KEY (copies, diffs)", f"/stories/{story_key}"),
            ("/sources", "/sources"),
            ("/health", "/health"),
        ]
        try:
            print("\n| page | p50 ms | p95 ms | bytes |\n|---|---|---|---|")
            for name, path in pages:
                timed(base + path, 2)  # warm: the store opens at the first request
                p50, p95, size = timed(base + path, args.requests)
                print(f"| {name} | {p50:.1f} | {p95:.1f} | {size:,} |", flush=True)
        finally:
            server.shutdown()
            server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

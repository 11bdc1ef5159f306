"""Scale of story clustering: insert-and-query throughput and memory over N synthetic posts.

Synthetic posts are Chinese-like texts (words of 1-4 characters from 3,500 common-range CJK code
points, Zipf-distributed, with dates and numbers), 400-900 characters in 4-7 paragraphs, each on one
of 200 sites. A share of them (``--variants``, default 10 %) are near-duplicates of an earlier post:
trimmed, extended or edited, so the store keeps joining stories as it grows.

Every post goes through the real ``SqlIndexStore.upsert_post`` (content hash, post and URL rows,
MinHash signature, LSH buckets, candidate lookup and exact checks, site template lines, story
assignment) in one transaction each, as the crawler's pipeline does. Throughput is reported per
tenth of the run, so a lookup that slows down with the size of the index would show.

    .venv/bin/python bench/story_scale.py --posts 100000 [--index URL] [--variants 0.1] [--seed 1]

Memory: the peak RSS of this process, and the index size on disk (SQLite file + WAL).
"""

from __future__ import annotations

import argparse
import itertools
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.content.text import content_hash  # noqa: E402
from crawler.index import SqlIndexStore  # noqa: E402
from crawler.items import PostItem  # noqa: E402

SITES = 200
START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Synthetic:
    url: str
    text: str
    story: int  # the synthetic story it was made from (a variant shares its source's)


class TextMaker:
    """Chinese-like texts, fast: words are runs of code points drawn once, texts are runs of words."""

    def __init__(self, rng: np.random.Generator, words: int = 30_000) -> None:
        self.rng = rng
        chars = np.arange(0x4E00, 0x4E00 + 3_500, dtype=np.uint32)
        lengths = rng.choice([1, 2, 2, 2, 3, 3, 4], size=words)
        self.words = ["".join(map(chr, rng.choice(chars, size=n))) for n in lengths] + [""]
        ranks = np.arange(1, words + 1, dtype=np.float64)
        self.cdf = np.cumsum(1 / ranks) / (1 / ranks).sum()  # Zipf: common words recur across unrelated posts

    def paragraph(self) -> str:
        picks = np.searchsorted(self.cdf, self.rng.random(int(self.rng.integers(30, 70))))
        text = "".join(self.words[i] for i in picks)
        if self.rng.random() < 0.3:
            text += f"，2026年{self.rng.integers(1, 13)}月{self.rng.integers(1, 29)}日"
        if self.rng.random() < 0.3:
            text += f"，同比增长{self.rng.integers(1, 100)}%"
        return text + "。"

    def post(self) -> str:
        return "\n".join(self.paragraph() for _ in range(int(self.rng.integers(4, 8))))


def posts(count: int, variants: float, seed: int) -> Iterator[Synthetic]:
    rng = np.random.default_rng(seed)
    pick = random.Random(seed)
    maker = TextMaker(rng)
    made: list[Synthetic] = []
    for n in range(count):
        site = f"site{pick.randrange(SITES)}.example"
        if made and pick.random() < variants:
            source = made[pick.randrange(len(made))]
            paragraphs = source.text.splitlines()
            kind = pick.choice(("trimmed", "extended", "edited"))
            if kind == "trimmed" and len(paragraphs) > 2:
                paragraphs = paragraphs[:-1]
            elif kind == "extended":
                paragraphs = [*paragraphs, maker.paragraph()]
            else:  # edited (a trimmed two-paragraph post is edited instead)
                paragraphs[pick.randrange(len(paragraphs))] = maker.paragraph()
            post = Synthetic(f"http://{site}/{n}.html", "\n".join(paragraphs), source.story)
        else:
            post = Synthetic(f"http://{site}/{n}.html", maker.post(), n)
        if len(made) < 2_000:  # variants copy recent-ish posts; bounded memory
            made.append(post)
        else:
            made[pick.randrange(len(made))] = post
        yield post


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def item(post: Synthetic, n: int) -> PostItem:
    return PostItem(source=post.url.split("/")[2], url=post.url, role="copy", title=f"post {n}", text=post.text,
                    body_html="", published=START + timedelta(seconds=n), content_hash=content_hash(post.text))


@dataclass
class Accuracy:
    """Synthetic ground truth: a near-duplicate should join its source's story, an original found its own."""

    joined: int = 0  # near-duplicates that joined their source's story
    missed: int = 0  # near-duplicates that did not
    wrong: int = 0  # posts put into a story they do not belong to

    def __str__(self) -> str:
        total = self.joined + self.missed
        return (f"near-duplicates found {self.joined}/{total} ({self.joined / max(total, 1):.2%}); "
                f"posts put into a wrong story: {self.wrong}")


class BulkStoryIds(dict[int, int]):
    """The bulk loader gives each synthetic story the id of its first post (its index + 1)."""

    def __init__(self, filled: int) -> None:
        super().__init__()
        self.filled = filled

    def __missing__(self, story: int) -> int:
        if story < self.filled:
            return story + 1
        raise KeyError(story)

    def setdefault(self, story: int, default: int) -> int:  # type: ignore[override]
        return self[story] if story < self.filled or story in self else super().setdefault(story, default)


def upsert(store: SqlIndexStore, stream: Iterator[tuple[int, Synthetic]], count: int, report_every: int,
           story_ids: dict[int, int]) -> tuple[list[float], Counter[str], Accuracy]:
    """Upsert through the real store; prints throughput every ``report_every`` posts.

    ``story_ids`` maps synthetic stories to their story id in the index (filled as originals arrive).
    """
    outcomes: Counter[str] = Counter()
    accuracy = Accuracy()
    latencies = []
    last, last_cpu = time.perf_counter(), time.process_time()
    for done, (n, post) in enumerate(stream, 1):
        begun = time.perf_counter()
        result = store.upsert_post(item(post, n))
        latencies.append(time.perf_counter() - begun)
        outcomes[result.story_outcome] += 1
        expected = story_ids.setdefault(post.story, result.story_id or 0)
        if post.story != n - 1:  # made from an earlier post
            if result.story_id == expected:
                accuracy.joined += 1
            else:
                accuracy.missed += 1
        if result.story_id != expected or (post.story == n - 1 and result.story_outcome != "new"):
            accuracy.wrong += 1
        if done % report_every == 0 or done == count:
            now, cpu = time.perf_counter(), time.process_time()
            batch = done - (done - 1) // report_every * report_every
            print(f"{n:>9} {batch / (now - last):>10.0f} {1000 * (now - last) / batch:>8.2f} "
                  f"{1000 * (cpu - last_cpu) / batch:>8.2f} {rss_mb():>8.0f}", flush=True)
            last, last_cpu = now, cpu
        if done == count:
            break
    return latencies, outcomes, accuracy


def lookup_plan(store: SqlIndexStore) -> str:
    """How the database runs the LSH lookup (one bucket per band) at this size."""
    from sqlalchemy import select

    from crawler.index.sql import post_bands

    query = select(post_bands.c.post_id).where(post_bands.c.bucket.in_(list(range(42))),
                                               post_bands.c.post_id != 0).distinct()
    compiled = query.compile(store.engine, compile_kwargs={"literal_binds": True})
    with store.engine.connect() as conn:
        if store.engine.dialect.name == "sqlite":
            return "; ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
        return "; ".join(row[0].strip() for row in conn.exec_driver_sql(f"EXPLAIN {compiled}"))


def bulk_fill(url: str, count: int, variants: float, seed: int) -> None:
    """Fill an empty SQLite index with ``count`` posts fast: the store's rows, written in large batches.

    The same tables, row counts, signatures and buckets that upserts would write (the same MinHasher
    over the same normalised text), and every near-duplicate in its source's story, but nothing is
    compared: this only builds an index of the given size for the probe to run against.
    """
    import hashlib

    from crawler.content.neardup import MinHasher, line_key, shingles, template_candidates
    from crawler.content.text import normalise_lines
    from crawler.index.stories import site_of

    if not url.startswith("sqlite:///"):
        raise SystemExit("--bulk fills SQLite indexes only")
    SqlIndexStore(url).close()  # creates the schema
    db = sqlite3.connect(url.removeprefix("sqlite:///"))
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    hasher = MinHasher()
    batch = 20_000
    rows: dict[str, list[tuple[object, ...]]] = {name: [] for name in ("posts", "stories", "urls", "sigs", "bands")}
    lines: dict[tuple[str, int], int] = {}
    inserts = {  # column order as in crawler/index/sql.py; datetimes as SQLAlchemy stores them on SQLite
        "posts": "INSERT INTO posts (id, key, content_hash, source, url, has_original, title, published, updated, "
                 "categories, body_html, text, first_seen, story_id) VALUES (?,?,?,?,?,0,?,?,?,'[]','',?,?,?)",
        "stories": "INSERT INTO stories (id, key, post_id, first_seen) VALUES (?,?,?,?)",
        "urls": "INSERT INTO post_urls (post_id, url, source, role, first_seen, last_seen) VALUES (?,?,?,'copy',?,?)",
        "sigs": "INSERT INTO post_signatures (post_id, shingles, signature) VALUES (?,?,?)",
        "bands": "INSERT INTO post_bands (bucket, post_id) VALUES (?,?)",
    }

    def flush() -> None:
        with db:
            db.execute("PRAGMA defer_foreign_keys=ON")  # stories and posts point at each other
            for name, statement in inserts.items():
                db.executemany(statement, sorted(rows[name]) if name == "bands" else rows[name])
            db.executemany("INSERT OR IGNORE INTO site_lines (site, line_key, story_id, stories) VALUES (?,?,?,1)",
                           [(site, key, story) for (site, key), story in lines.items()])
        for pending in rows.values():
            pending.clear()
        lines.clear()

    began = time.perf_counter()
    now = str(datetime.now(UTC).replace(tzinfo=None))
    seen: set[str] = set()
    story_of: dict[int, int] = {}  # synthetic story -> its first post's id (the story's id)
    for n, post in enumerate(posts(count, variants, seed), 1):
        normalised = normalise_lines(post.text)
        key = hashlib.sha256("".join(normalised).encode()).hexdigest()  # = content_hash(post.text)
        if key in seen:  # the same text twice: upserts would store it once
            continue
        seen.add(key)
        story = story_of.setdefault(post.story, n)
        signature = hasher.signature(shingles(normalised))
        site, when = post.url.split("/")[2], str((START + timedelta(seconds=n)).replace(tzinfo=None))
        rows["posts"].append((n, key[:20], key, site, post.url, f"post {n}", when, when, post.text, now, story))
        if story == n:
            rows["stories"].append((n, key[:20], n, now))
        rows["urls"].append((n, post.url, site, now, now))
        rows["sigs"].append((n, 1, hasher.to_bytes(signature)))
        rows["bands"].extend((bucket, n) for bucket in set(hasher.buckets(signature)))
        for line in template_candidates(normalised):
            lines.setdefault((site_of(post.url), line_key(line)), story)
        if n % batch == 0 or n == count:
            flush()
            print(f"  filled {n} posts, {n / (time.perf_counter() - began):.0f} posts/s", flush=True)
    db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=100_000, help="posts in the index (default 100000)")
    parser.add_argument("--bulk", action="store_true", help="fill the index with the bulk loader, then time "
                        "--probe upserts at that size (default: upsert every post through the store)")
    parser.add_argument("--probe", type=int, default=2_000, help="posts upserted after a bulk fill (default 2000)")
    parser.add_argument("--variants", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--index", help="index store URL (default: a SQLite file in a temporary directory)")
    parser.add_argument("--fill-only", action="store_true", help=argparse.SUPPRESS)  # the bulk fill's child process
    args = parser.parse_args(argv)

    if args.fill_only:
        bulk_fill(args.index, args.posts, args.variants, args.seed)
        return 0
    with tempfile.TemporaryDirectory(prefix="story-scale-") as tmp:
        url = args.index or f"sqlite:///{tmp}/index.sqlite3"
        print(f"{args.posts} synthetic posts ({args.variants:.0%} near-duplicates) into {url.split('?')[0]}")
        stream = enumerate(posts(args.posts + (args.probe if args.bulk else 0), args.variants, args.seed), 1)
        if args.bulk:
            began = time.perf_counter()
            # A child process, so this one's peak RSS is the store's during the probe, not the loader's.
            subprocess.run([sys.executable, __file__, "--fill-only", "--index", url, "--posts", str(args.posts),
                            "--variants", str(args.variants), "--seed", str(args.seed)], check=True)
            print(f"bulk fill: {time.perf_counter() - began:.0f} s")
            # The same stream, so the probe's near-duplicates copy stored posts.
            for _ in itertools.islice(stream, args.posts):
                pass
            story_ids: dict[int, int] = BulkStoryIds(args.posts)
            count, every = args.probe, max(1, args.probe // 4)
        else:
            story_ids, count, every = {}, args.posts, max(1, args.posts // 10)
        store = SqlIndexStore(url)
        print(f"{'posts':>9} {'posts/s':>10} {'ms/post':>8} {'cpu ms':>8} {'RSS MB':>8}")
        began = time.perf_counter()
        latencies, outcomes, accuracy = upsert(store, stream, count, every, story_ids)
        elapsed = time.perf_counter() - began
        stories, total = store.count_stories(), store.count_posts()
        plan = lookup_plan(store)
        store.close()
        size = sum(f.stat().st_size for f in Path(tmp).glob("index.sqlite3*"))
    ms = sorted(1000 * x for x in latencies)
    print(f"{count} upserts in {elapsed:.1f} s: {count / elapsed:.0f} posts/s; latency ms p50 {ms[len(ms) // 2]:.2f} "
          f"p95 {ms[len(ms) * 95 // 100]:.2f} p99 {ms[len(ms) * 99 // 100]:.2f} max {ms[-1]:.1f}")
    print(f"index: {total} posts in {stories} stories; story outcomes of the upserts {dict(outcomes)}")
    print(f"upserts: {accuracy}")
    print(f"candidate lookup plan: {plan}")
    print(f"peak RSS {rss_mb():.0f} MB" + (f"; index on disk {size / 2**20:.0f} MB ({size / total:.0f} bytes/post)"
                                            if size else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Search at scale: index size per MB of text, and query latency (p50/p95) for one-, two- and
four-character Chinese queries and two-word queries, on SQLite and PostgreSQL.

Posts are long Chinese articles (1,000–3,000 characters) drawn from a vocabulary of real Chinese
words with a Zipf-like frequency, so common characters match most posts and rare phrases few, as on
the real web. They are bulk-loaded (the search rows through crawler/index/search.py's own tokenizer
and writers; clustering is not what is measured here).

    .venv/bin/python bench/search_scale.py --posts 100000 [--backends sqlite,postgresql] [--queries 40]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from sqlalchemy import insert, text

from crawler.content.search import parse_query
from crawler.index import SqlIndexStore
from crawler.index import search as search_index
from crawler.index.sql import posts, stories

VOCABULARY = (
    "中国 发展 经济 企业 市场 技术 创新 政策 城市 教育 学生 学校 医院 健康 "
    "文化 旅游 交通 能源 电池 汽车 芯片 人工智能 数据 平台 服务 用户 产品 价格 "
    "消费 投资 银行 金融 农业 农村 乡村 振兴 生态 环境 保护 气候 天气 寒潮 "
    "降雨 马拉松 比赛 运动员 冠军 电影 音乐 艺术 博物馆 历史 科学 研究 实验 "
    "大学 产教融合 职业教育 校企合作 实训基地 工厂 工人 就业 收入 社会 保障 养老 "
    "住房 建设 项目 工程 铁路 机场 港口 出口 贸易 合作 国际 会议 代表 委员 "
    "改革 开放 法律 法院 警方 安全 事故 救援 志愿者 社区 居民 家庭 孩子 老人 "
    "网络 手机 软件 游戏 直播 短视频 新闻 记者 报道 来源 发布 今年 去年 上午 "
    "下午 表示 认为 已经 正在 将会 通过 进行 开展 推进 加强 提升 实现 推动 "
    "建立 完善 落实"
)
WORDS = VOCABULARY.split()


def article(rng: random.Random) -> str:
    length = rng.randint(1000, 3000)
    out, size = [], 0
    while size < length:
        sentence = "".join(rng.choices(WORDS, weights=[1 / (i + 1) for i in range(len(WORDS))], k=rng.randint(6, 14)))
        out.append(sentence + rng.choice("，。；！"))
        size += len(out[-1])
    return "".join(out)


def load(store: SqlIndexStore, count: int, seed: int = 1) -> int:
    """Bulk-load ``count`` posts (one story each) and their search rows; returns bytes of text."""
    rng = random.Random(seed)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    text_bytes = 0
    batch = 1000
    with store.engine.begin() as conn:
        next_id = int(conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM posts")).scalar_one()) + 1
    for start in range(0, count, batch):
        rows, story_rows = [], []
        for n in range(start, min(count, start + batch)):
            body = article(rng)
            text_bytes += len(body.encode("utf-8"))
            post_id = next_id + n
            when = t0 + timedelta(minutes=n)
            rows.append({"id": post_id, "key": uuid.uuid4().hex[:20], "content_hash": uuid.uuid4().hex,
                         "source": f"s{n % 20}", "url": f"http://bench.example/{n}", "title": body[:24],
                         "text": body, "body_html": "", "categories": "[]", "updated": when, "first_seen": when,
                         "published": when, "story_id": None, "has_original": True})
            story_rows.append({"id": post_id, "key": rows[-1]["key"], "post_id": post_id, "first_seen": when})
        with store.engine.begin() as conn:
            conn.execute(insert(posts), rows)
            conn.execute(insert(stories), story_rows)
            conn.execute(text("UPDATE posts SET story_id = id WHERE id BETWEEN :a AND :b"),
                         {"a": rows[0]["id"], "b": rows[-1]["id"]})
            for row in rows:
                search_index.index_post(conn, row["id"])
        print(f"  {start + len(rows)} posts", end="\r", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return text_bytes


def index_size(store: SqlIndexStore) -> int:
    with store.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            pages = conn.execute(text("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'search%'")).scalar_one()
            return int(pages or 0)
        return int(conn.execute(text("SELECT pg_total_relation_size('search_docs')")).scalar_one())


def queries(rng: random.Random, n: int) -> dict[str, list[str]]:
    two = [w for w in WORDS if len(w) == 2]
    four = [w for w in WORDS if len(w) == 4]
    chars = sorted({c for w in WORDS for c in w})
    return {
        "1 char": [rng.choice(chars) for _ in range(n)],
        "2 chars": [rng.choice(two) for _ in range(n)],
        "4 chars": [rng.choice(four) for _ in range(n)],
        "two words": [f"{rng.choice(two)} {rng.choice(two)}" for _ in range(n)],
    }


def measure(store: SqlIndexStore, kinds: dict[str, list[str]]) -> dict[str, tuple[float, float]]:
    figures = {}
    for kind, texts in kinds.items():
        times = []
        for query_text in texts:
            started = time.perf_counter()
            store.search(parse_query(query_text), limit=20)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        figures[kind] = (statistics.median(times), times[int(len(times) * 0.95) - 1])
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--queries", type=int, default=40, help="queries of each kind")
    parser.add_argument("--postgres", default=os.environ.get("FEEDARCHIVER_TEST_POSTGRES",
                                                              "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    kinds = queries(random.Random(7), args.queries)
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            if backend == "sqlite":
                url = f"sqlite:///{Path(tmp) / 'index.sqlite3'}"
            else:
                with psycopg.connect(args.postgres, autocommit=True) as conn:
                    conn.execute(f'CREATE SCHEMA "{schema}"')
                url = f"{args.postgres}?options=-csearch_path%3D{schema}"
            store = SqlIndexStore(url)
            try:
                started = time.perf_counter()
                text_bytes = load(store, args.posts)
                loaded = time.perf_counter() - started
                if backend == "postgresql":
                    with store.engine.begin() as conn:
                        conn.execute(text("ANALYZE search_docs"))
                size = index_size(store)
                figures = measure(store, kinds)
            finally:
                store.close()
                if backend == "postgresql":
                    with psycopg.connect(args.postgres, autocommit=True) as conn:
                        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        mb = text_bytes / 1e6
        print(f"{backend}: {args.posts} posts, {mb:.0f} MB of text, loaded in {loaded:.0f} s "
              f"({args.posts / loaded:.0f} posts/s); search index {size / 1e6:.0f} MB "
              f"({size / 1e6 / mb:.2f} MB per MB)")
        for kind, (p50, p95) in figures.items():
            print(f"  {kind:10} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

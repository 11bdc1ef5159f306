"""Two crawler processes share one frontier (scrapy-redis on the real Redis), one PostgreSQL index and
S3 (moto's server on loopback) for pictures, archives and feeds: every page is fetched once, every
story is once in the feed, and every WARC is valid."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import feedparser
import pytest
import redis

from crawler.config import load_config
from crawler.demoweb import DemoWeb
from crawler.demoweb.catalog import IMAGE_CASES
from crawler.demoweb.server import RequestLogEntry
from crawler.index import SqlIndexStore
from crawler.index.sql import posts
from crawler.items import PostItem
from tests.conftest import ROOT, S3Server, postgres_database, run_cli, with_settings

pytestmark = pytest.mark.crawl

REDIS_URL = "redis://127.0.0.1:6379/0"
SLOW_PICTURE = tuple(IMAGE_CASES["slow"].split(":", 1))


@pytest.fixture
def pg_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


def patient(sources_toml: str) -> str:
    """The demo's one-second picture timeout, lengthened: on a busy machine a timed-out picture is
    retried by the box that fetched it, which would look like a second fetch across boxes."""
    assert "\nimage_timeout = 1\n" in sources_toml
    return sources_toml.replace("\nimage_timeout = 1\n", "\nimage_timeout = 15\n")


def page_key(request: RequestLogEntry) -> tuple[str, str]:
    """Host and path, without the clock qutoutiao's list URLs carry (user=temporaryMS, min_time)."""
    parts = urlsplit(request.path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("user", "min_time")]
    return request.host, parts.path + ("?" + urlencode(query) if query else "")


def pictures_of(log: list[RequestLogEntry]) -> set[tuple[str, str]]:
    """Pictures: what the image pipeline asked for (a browser's <img> Accept header), and what Chromium
    loaded itself while rendering a page (the same Accept, with Pragma: no-cache)."""
    return {page_key(r) for r in log if r.headers.get("accept", "").startswith("image/")}


def test_two_processes_share_one_frontier(s3_server: S3Server, pg_url: str, tmp_path: Path) -> None:
    client = s3_server.client()
    for bucket in ("fa-media", "fa-archive", "fa-feeds"):
        client.create_bucket(Bucket=bucket)
    job = f"test-{uuid.uuid4().hex[:8]}"
    with DemoWeb(base_port=0, latency=0.02) as web:  # its own web: the request log is this test's alone
        config = tmp_path / "sources.toml"
        config.write_text(with_settings(
            patient(web.sources_toml()), index_url=pg_url, redis_url=REDIS_URL, media_store="s3://fa-media/media",
            media_base_url="https://media.example.org/", archive_url="s3://fa-archive/crawls",
            feeds_store="s3://fa-feeds/pub", s3_endpoint_url=s3_server.endpoint), encoding="utf-8")
        env = {**s3_server.env, "AWS_ENDPOINT_URL_S3": s3_server.endpoint}
        workers = [subprocess.Popen([sys.executable, "-m", "crawler", "crawl", "--all", "--job", job, "--config",
                                     str(config), "--data", str(tmp_path / f"box{i}"), "-v"],
                                    cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
                   for i in (1, 2)]
        outputs = [w.communicate(timeout=300)[0] for w in workers]
        for i, (worker, output) in enumerate(zip(workers, outputs, strict=True)):
            (tmp_path / f"box{i + 1}.log").write_text(output, encoding="utf-8")
            assert worker.returncode == 0, output
        pair_log = [r for r in web.requests if r.method == "GET"]

    # Every page once across both boxes: exactly what one process alone fetches from the same web (which
    # fetches a URL once per source that shows it). robots.txt is fetched by each crawler (one per source
    # kind) of each box that asked its host for anything: pictures are claimed job-wide, so which crawler of
    # which box touches a picture host at all is a race. At least once, at most once per crawler per box.
    with DemoWeb(base_port=0) as alone_web:
        alone = tmp_path / "alone.toml"
        alone.write_text(patient(alone_web.sources_toml()), encoding="utf-8")
        result = run_cli("crawl", "--all", "--config", str(alone), "--data", str(tmp_path / "alone"))
        assert result.returncode == 0, result.stdout + result.stderr
        alone_log = [r for r in alone_web.requests if r.method == "GET"]
    pages, expected = Counter(page_key(r) for r in pair_log), Counter(page_key(r) for r in alone_log)
    robots = {key for key in expected | pages if key[1] == "/robots.txt"}
    crawlers = len({source.kind for source in load_config(config).sources.values() if source.enabled})
    touched = {host for host, path in pages if path != "/robots.txt"}
    wrong = {key: (pages[key], expected[key]) for key in robots
             if not (1 if key[0] in touched else 0) <= pages[key] <= 2 * crawlers}
    assert not wrong, f"robots.txt fetches (pair, alone) outside 1..{2 * crawlers}: {wrong}"
    for counter in (pages, expected):
        for key in robots | pictures_of(alone_log) | pictures_of(pair_log):
            counter.pop(key, None)
    assert pages == expected, f"differs from one process: {pages - expected} extra, {expected - pages} missing"
    # The pipeline's pictures: each once per Referer site (what a hotlink check sees).
    pictures = Counter((r.host, r.path, urlsplit(r.headers.get("referer", "")).netloc)
                       for r in pair_log if page_key(r) in pictures_of(pair_log) and "pragma" not in r.headers)
    # (Except the picture that never answers in time: tried twice by whichever box claimed it, and logged
    # only if the web outlives its delay.)
    again = {k: n for k, n in pictures.items() if n > 1 and k[:2] != SLOW_PICTURE}
    assert pictures and not again, again
    assert pictures_of(pair_log) - {SLOW_PICTURE} == pictures_of(alone_log) - {SLOW_PICTURE}
    assert any("'frontier/claimed_elsewhere'" in out for out in outputs), "the later box dropped the earlier's claims"
    rk = redis.Redis.from_url(REDIS_URL)
    assert rk.scard(f"feedarchiver:{job}:feed:claims") > 0, "claims live in Redis"
    assert 0 < rk.ttl(f"feedarchiver:{job}:feed:claims") <= 86400, "a finished job's keys expire"

    # One export from the shared index: every story once, published to S3 with its content type.
    export = run_cli("export", "--config", str(config), "--data", str(tmp_path / "out"), env=env)
    assert export.returncode == 0, export.stdout + export.stderr
    assert "published" in export.stdout
    feed = feedparser.parse((tmp_path / "out" / "feeds" / "all.atom").read_bytes())
    links = [e.link for e in feed.entries]
    assert links and len(links) == len(set(links))
    ids = [e.id for e in feed.entries]
    assert len(ids) == len(set(ids))
    head = client.head_object(Bucket="fa-feeds", Key="pub/feeds/all.atom")
    assert head["ContentType"] == "application/atom+xml; charset=utf-8"
    assert head["CacheControl"] == "public, max-age=300"
    stored = client.get_object(Bucket="fa-feeds", Key="pub/feeds/all.atom")["Body"].read()
    assert stored == (tmp_path / "out" / "feeds" / "all.atom").read_bytes()
    assert any(o["Key"].startswith("pub/hexo/") for o in client.list_objects_v2(Bucket="fa-feeds")["Contents"])
    # A second export with nothing new sends nothing.
    again_export = run_cli("export", "--config", str(config), "--data", str(tmp_path / "out"), env=env)
    assert "published 0 changed files" in again_export.stdout, again_export.stdout

    # Every WARC of both boxes is valid, its name unique, and uploaded.
    warcs = [p for i in (1, 2) for p in (tmp_path / f"box{i}" / "warc").glob("*.warc.gz")]
    assert len({p.name for p in warcs}) == len(warcs) >= 2
    for box in (1, 2):
        verify = run_cli("verify", "--data", str(tmp_path / f"box{box}"), "--config", str(config), env=env)
        assert verify.returncode == 0, verify.stdout + verify.stderr
    uploaded = {o["Key"].rsplit("/", 1)[-1] for o in client.list_objects_v2(Bucket="fa-archive")["Contents"]}
    assert {p.name for p in warcs} <= uploaded
    # Each stored post's captures point into one of the two boxes' WARCs: nothing was lost between them.
    store = SqlIndexStore(pg_url)
    try:
        stored_posts = store.posts()
        captured = {c["warc_file"] for c in store.all_captures()}
    finally:
        store.close()
    stories = {p.story_key or p.key for p in stored_posts}  # all.atom has one entry per story
    assert len(links) == min(len(stories), load_config(config).settings.feed_length)
    assert captured <= {p.name for p in warcs}


def test_concurrent_upserts_of_one_post_in_postgresql(pg_url: str) -> None:
    """Two writers insert the same content hash at once: the loser replays and links to the winner's post."""
    winner, loser = SqlIndexStore(pg_url), SqlIndexStore(pg_url)
    try:
        item = PostItem(source="b", url="http://127.0.0.1:9/b", role="original", title="T", text="t",
                        body_html="<p>t</p>", content_hash="c" * 64, categories=[])
        with winner.engine.connect() as conn:
            transaction = conn.begin()
            # The winner's insert holds the unique key uncommitted while the loser runs into it.
            conn.execute(posts.insert().values(key="c" * 20, content_hash="c" * 64, source="a",
                                               url="http://127.0.0.1:9/a", has_original=True, title="T",
                                               updated=item.published or _now(), categories="[]",
                                               body_html="<p>t</p>", text="t", first_seen=_now()))
            results = []
            thread = threading.Thread(target=lambda: results.append(loser.upsert_post(item)))
            thread.start()
            time.sleep(0.5)
            assert thread.is_alive(), "the loser waits on the winner's uncommitted key"
            transaction.commit()
            thread.join(timeout=30)
        assert results and results[0].outcome == "duplicate"
        assert loser.upsert_retries == 1
        assert loser.count_posts() == 1
        assert {u.source for u in loser.posts()[0].urls} == {"b"}
    finally:
        winner.close()
        loser.close()


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.now(UTC)

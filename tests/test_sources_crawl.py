"""The aggregator spiders, the list kind and browser rendering in the session's real crawl."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.cli import main
from crawler.demoweb import BROKEN_LINKS, START_PAGES, STORIES, DemoWeb
from crawler.demoweb.aggregators import QUTOUTIAO_POSTS
from crawler.index import SourceHealth
from tests.conftest import ROOT, Crawl, bare

pytestmark = pytest.mark.crawl


def requests_in(warcs: list[Path]) -> list[str]:
    """Target URIs of every request record, in file order."""
    urls = []
    for path in warcs:
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "request":
                    urls.append(record.rec_headers.get_header("WARC-Target-URI"))
    return urls


def health(crawl: Crawl) -> dict[str, SourceHealth]:
    store = crawl.store()
    try:
        return store.source_health()
    finally:
        store.close()


def test_qutoutiao_list_api_is_paged_by_min_time(crawl: Crawl) -> None:
    api = crawl.web.ref_url(START_PAGES["qutoutiao-api"])
    calls = [parse_qs(urlsplit(u).query) for u in requests_in(crawl.warcs()) if u.startswith(api + "?")]
    # Two posts a page over five posts: three full pages, then an empty one ends the paging.
    assert len(calls) == 4
    assert [c["cid"] for c in calls] == [["7"]] * 4 and all(c["user"][0].startswith("temporary") for c in calls)
    published = [int(datetime.fromisoformat(p.published).timestamp() * 1000) for p in QUTOUTIAO_POSTS]
    assert [int(c["min_time"][0]) for c in calls[1:]] == [published[1], published[3], published[4]]
    assert int(calls[0]["min_time"][0]) > published[0]  # the first page starts from now


def test_qutoutiao_posts_have_stable_urls_channels_and_attribution(crawl: Crawl) -> None:
    assert QUTOUTIAO_POSTS
    for post in QUTOUTIAO_POSTS:
        url = crawl.web.url("qutoutiao", post.path)
        stored = crawl.post_at(f"qutoutiao:{post.path}")
        rows = [u for u in stored.urls if u.source == "qutoutiao-api"]
        assert [u.url for u in rows if u.role == "copy"] == [url]  # the guid: no content_id/key query
        assert rows[0].feed_entry_id == url
        assert "科技" in stored.categories  # channel from cid 7
        # A story seen at its original too keeps the publisher's own name ("中国青年报" for "…客户端").
        assert stored.source_name is not None and post.source_name.startswith(stored.source_name)


def test_qutoutiao_follows_the_original_its_detail_json_names(crawl: Crawl) -> None:
    story = next(s for s in STORIES if s.key == "qtt-api")
    assert story.original is not None and not story.linked
    post = crawl.post_at(story.original)
    original = crawl.web.ref_url(story.original)
    roles = {(u.source, bare(u.url)): u.role for u in post.urls}
    assert roles[("qutoutiao-api", original)] == "original"
    assert roles[("qutoutiao-api", crawl.web.ref_url(story.copies[0]))] == "copy"
    assert post.original_url == original
    assert post.author == "赵磊" and "\ufffd" not in post.text and "便民生活圈" in post.text  # mislabelled page


def test_zaker_channel_posts_removed_article_and_gif(crawl: Crawl) -> None:
    zaker = health(crawl)["zaker-channel"]
    assert zaker.details.get("error/removed") == 1 and zaker.last_status == "errors"
    assert zaker.last_error is not None and BROKEN_LINKS["removed"].split(":", 1)[1] in zaker.last_error
    meteor = crawl.post_at("zaker:/article/a4b1110f167de3a84a2b651c/")
    assert "zaker-channel" in meteor.sources and "科学" in meteor.categories  # the channel's tag
    assert "135d2d6c0f6a6c60a8fe40fe_gif.png" in meteor.body_html  # data-gif-url beats data-original
    assert "推荐阅读" not in meteor.text and "打开APP" not in meteor.text  # trailing blocks removed
    removed = crawl.web.ref_url(BROKEN_LINKS["removed"])
    assert not [p for p in crawl.posts() if removed in {u.url for u in p.urls}]


def test_waf_challenge_blocks_the_source_and_it_backs_off(crawl: Crawl, recrawl: Crawl,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    blocked = health(crawl)["zaker-blocked"]
    assert blocked.last_status == "blocked" and blocked.last_items == 0
    assert blocked.details.get("blocked") == "safeline" and blocked.details.get("error/blocked") == 1
    store = crawl.store()
    try:
        state = store.source_states()["zaker-blocked"]
    finally:
        store.close()
    assert state.blocked_by == "safeline" and state.blocks_in_row == 1
    assert state.backing_off(datetime.now(UTC))
    # The challenge itself was archived, as every exchange is.
    waf = crawl.web.ref_url(BROKEN_LINKS["waf"])
    assert requests_in(crawl.warcs()).count(waf) == 1
    # The next crawl does not ask again while backing off, and says so.
    new_files = sorted(set(recrawl.warcs()) - {recrawl.data / "warc" / p.name for p in crawl.warcs()})
    assert new_files and waf not in requests_in(new_files)
    again = health(recrawl)["zaker-blocked"]
    assert again.last_status == "backing_off" and "backing_off" in again.details
    assert health(recrawl)["zaker-channel"].last_items > 0  # the same host's other source goes on
    assert main(["sources", "--config", str(recrawl.config), "--data", str(recrawl.data)]) == 0
    out = capsys.readouterr().out
    section = out[out.index("zaker-blocked"):]
    assert "BLOCKED by a safeline WAF challenge" in section and "backing off until" in section


def test_list_source_reads_gbk_pages_follows_next_page_and_spots_soft_404(crawl: Crawl) -> None:
    listed = health(crawl)["gbknews-list"]
    assert listed.details.get("error/soft_404") == 1 and listed.last_items == 3
    assert crawl.web.url("gbknews", "/list/index_2.shtml") in requests_in(crawl.warcs())
    for ref in ("gbknews:/news/118760.shtml", "gbknews:/news/118752.shtml", "gbknews:/news/118734.shtml"):
        post = crawl.post_at(ref)
        assert "gbknews-list" in post.sources and "民生" in post.categories
        assert "\ufffd" not in post.text + post.title


def test_browser_source_reads_a_javascript_only_list(crawl: Crawl) -> None:
    app = health(crawl)["cyol-app"]
    assert app.last_status == "ok" and app.last_items == 3
    # Chromium, not Scrapy, fetched the list's data: the page's own script ran.
    assert any(r.host == "cyol" and r.path == "/app/list.json" for r in crawl.web.requests)
    post = crawl.post_at("cyol:/content/2026-11/21/content_38215520.htm")
    assert "cyol-app" in post.sources and "精选" in post.categories


def test_missing_browser_fails_only_the_browser_source(demo_web: DemoWeb, tmp_path: Path) -> None:
    config = tmp_path / "sources.toml"
    config.write_text(
        f'[sources.app]\nkind = "list"\nbrowser = true\nurls = ["{demo_web.ref_url(START_PAGES["cyol-app"])}"]\n'
        f'item = "ul.news-list li"\n\n'
        f'[sources.news]\nkind = "feed"\nurls = ["{demo_web.url("cyol", "/feed.json")}"]\n', encoding="utf-8")
    env = {**os.environ, "FEEDARCHIVER_BROWSER_EXECUTABLE": str(tmp_path / "no-chromium"),
           "FEEDARCHIVER_ALLOW_HOSTS": ",".join(demo_web.allow_hosts)}
    result = subprocess.run([sys.executable, "-m", "crawler", "crawl", "--all", "--config", str(config),
                             "--data", str(tmp_path / "data")], capture_output=True, text=True, timeout=300,
                            cwd=ROOT, env=env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "app: 0 posts, 1 errors (last: no_browser: this source needs a browser" in result.stdout
    assert "apt-get install chromium" in result.stdout
    assert "news: 4 posts, 0 errors" in result.stdout

"""The web app over a served crawl of the demo web, as HTTP clients see it: validators and gzip, the
headers every page carries, snapshots rewritten or as sent, paging, OPML both ways."""

from __future__ import annotations

import gzip
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import lxml.html
import pytest
from lxml import etree

from crawler.archive.snapshots import timestamp14
from crawler.cli import main
from crawler.config import load_config
from tests.conftest import Crawl
from web.diffs import text_diff
from web.opml import import_opml
from web.queries import story_page
from web.replay import SnapshotRewriter

pytestmark = pytest.mark.crawl


def get(url: str, method: str = "GET", **headers: str) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(url, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_gzip_answers_have_their_own_strong_etag_and_revalidate(site: str) -> None:
    _, plain, body = get(f"{site}/feeds/all.atom")
    status, zipped, packed = get(f"{site}/feeds/all.atom", **{"Accept-Encoding": "gzip"})
    assert status == 200 and zipped["Content-Encoding"] == "gzip" and gzip.decompress(packed) == body
    assert not plain["ETag"].startswith("W/") and not zipped["ETag"].startswith("W/")
    assert zipped["ETag"] == plain["ETag"][:-1] + '-gzip"' != plain["ETag"]
    # Each copy revalidates with its own tag, and the 304 names the copy the client holds.
    status, again, empty = get(f"{site}/feeds/all.atom", **{"Accept-Encoding": "gzip", "If-None-Match": zipped["ETag"]})
    assert status == 304 and again["ETag"] == zipped["ETag"] and empty == b""
    status, again, _ = get(f"{site}/feeds/all.atom", **{"If-None-Match": plain["ETag"]})
    assert status == 304 and again["ETag"] == plain["ETag"]
    assert get(f"{site}/feeds/all.atom", **{"If-None-Match": '"other"'})[0] == 200
    status, head, nothing = get(f"{site}/feeds/all.atom", method="HEAD")
    assert status == 200 and nothing == b"" and head["ETag"] == plain["ETag"]


def test_media_are_cached_for_good(crawl: Crawl, site: str) -> None:
    store = crawl.store()
    try:
        picture = store.media()[0]
    finally:
        store.close()
    status, headers, body = get(f"{site}/media/{picture.path}")
    assert status == 200 and len(body) == picture.size and headers["Content-Type"] == picture.media_type
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert get(f"{site}/media/{picture.path}", **{"If-None-Match": headers["ETag"]})[0] == 304
    assert get(f"{site}/media/../index.sqlite3")[0] == 404


@pytest.mark.parametrize("path", ["/", "/sources", "/feeds", "/feeds.opml", "/health", "/stories/nothing",
                                  "/nowhere", "/static/app.css"])
def test_every_answer_carries_a_policy(site: str, path: str) -> None:
    status, headers, _ = get(site + path)
    assert status in (200, 404)
    policy = headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["//evil.example/", "/stories/x/", "/%2F%2Fevil.example", "/feeds/",
                                  "/replay/20260101000000/javascript:alert(1)"])
def test_nothing_redirects(site: str, path: str) -> None:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        status = opener.open(site + path, timeout=10).status
    except urllib.error.HTTPError as error:
        status = error.code
    assert status in (200, 404), path


def test_only_get_and_head(site: str) -> None:
    for path in ("/", "/feeds/all.atom", "/sources"):
        assert get(site + path, method="POST")[0] == 405


def _capture_with_pictures(crawl: Crawl) -> tuple[str, str]:
    """(timestamp, URL) of an archived page whose pictures were archived too."""
    store = crawl.store()
    try:
        for post in store.posts():
            pages = [c for c in post.captures if c["url"] == post.url]
            if pages and store.media(post.id):
                return timestamp14(pages[0]["captured_at"]), post.url
    finally:
        store.close()
    raise AssertionError("no archived page with archived pictures")


def test_html_snapshots_replay_from_the_archive_and_id_answers_as_sent(crawl: Crawl, site: str) -> None:
    timestamp, url = _capture_with_pictures(crawl)
    status, headers, body = get(f"{site}/web/{timestamp}/{url}")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Link"] == f'<{url}>; rel="original"' and headers["Memento-Datetime"].endswith(" GMT")
    policy = headers["Content-Security-Policy"]
    assert policy.startswith("sandbox;") and "img-src 'self' data:" in policy and "script-src" not in policy
    page = lxml.html.document_fromstring(body)
    assert not page.xpath("//script | //iframe | //meta[@http-equiv='refresh'] | //base")
    sources = page.xpath("//img/@src")
    assert sources and all(src.startswith(("/media/", "/web/")) for src in sources)
    for src in sources:  # every picture it points at is there, from our own origin
        assert get(site + src)[0] == 200, src
    assert all(not href.startswith(("http:", "https:")) for href in page.xpath("//a/@href | //link/@href"))
    status, raw_headers, raw = get(f"{site}/web/{timestamp}id_/{url}")
    assert status == 200 and raw != body and raw_headers["Content-Security-Policy"].startswith("sandbox;")
    assert b"<script" in raw or b"http://" in raw  # as sent: the page's own links and scripts


def test_non_html_snapshots_are_the_exact_bytes(crawl: Crawl, site: str) -> None:
    store = crawl.store()
    try:
        picture = store.media()[0]
        ref = store.captures_at(picture.first_url)[0]
    finally:
        store.close()
    status, headers, body = get(f"{site}/web/{timestamp14(ref['captured_at'])}/{ref['url']}")
    assert status == 200 and len(body) == picture.size and headers["Content-Security-Policy"].startswith("sandbox;")


def test_rewriter_points_resources_at_the_archive_and_drops_the_rest() -> None:
    archived = {"http://site.example/a.png": "/media/aa/a.png", "http://cdn.example/s.css": "/web/2026/s.css",
                "http://site.example/lazy.jpg": "/media/bb/lazy.jpg", "http://site.example/bg.png": "/media/cc/bg.png"}
    page = ("<html><head><meta charset=gbk><link rel=stylesheet href='http://cdn.example/s.css'>"
            "<link rel=preconnect href='http://tracker.example'><style>body{background:url(/bg.png)}</style>"
            "<meta http-equiv=refresh content='0;url=http://elsewhere.example/'></head>"
            "<body onload='x()'><script src='http://cdn.example/x.js'></script><img src='/a.png' onerror='y()'>"
            "<img src='loading.gif' data-original='/lazy.jpg'><img src='http://gone.example/x.png' srcset='/a.png 2x, "
            "http://gone.example/y.png 3x'><a href='/next.html'>下一页</a><iframe src='http://ads.example/'></iframe>"
            "<p style='background-image:url(\"http://gone.example/z.png\")'>正文</p></body></html>")
    rewriter = SnapshotRewriter("http://site.example/news/1.html", archived.get,
                                lambda link: f"/web/20260101000000/{link}")
    out = rewriter.rewrite(page.encode("gbk"), "text/html; charset=gbk").decode("utf-8")
    root = lxml.html.document_fromstring(out)
    assert root.xpath("//link/@href") == ["/web/2026/s.css"]
    assert root.xpath("//img/@src") == ["/media/aa/a.png", "/media/bb/lazy.jpg"]
    assert root.xpath("//img/@srcset") == ["/media/aa/a.png 2x"]
    assert root.xpath("//a/@href") == ["/web/20260101000000/http://site.example/next.html"]
    assert 'url("/media/cc/bg.png")' in out and "gone.example" not in out and "elsewhere" not in out
    assert not root.xpath("//script | //iframe | //@onload | //@onerror") and "正文" in out and "下一页" in out


def test_story_list_pages_by_keyset_through_every_story(crawl: Crawl) -> None:
    store = crawl.store()
    try:
        every = store.count_stories()
        seen: list[int] = []
        page = story_page(store.engine, length=4)
        while True:
            seen += [row.id for row in page.rows]
            if page.older is None:
                break
            page = story_page(store.engine, length=4, before=page.older)
        assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == every > 4
        back = story_page(store.engine, length=4, after=seen[8])
        assert [row.id for row in back.rows] == seen[4:8] and back.newer == seen[4]
        zaker = story_page(store.engine, length=50, sources=["zaker-news"])
        assert zaker.rows and all("zaker-news" in row.sources for row in zaker.rows)
    finally:
        store.close()


def test_feeds_opml_lists_every_feed_in_one_folder_level(site: str) -> None:
    status, headers, body = get(f"{site}/feeds.opml")
    assert status == 200 and headers["Content-Type"].startswith("text/x-opml")
    root = etree.fromstring(body)
    feeds = root.findall(".//outline[@xmlUrl]")
    assert feeds and not root.xpath("//outline[not(@xmlUrl)]/outline[not(@xmlUrl)]")
    assert all(f.get("text") == f.get("title") and f.get("xmlUrl").startswith(site + "/feeds/") for f in feeds)
    for feed in feeds:
        assert get(feed.get("xmlUrl"))[0] == 200
    categorised = [f for f in feeds if f.get("category")]
    assert any(f.get("category") == "/新媒体/ZAKER/热点" for f in categorised)
    assert all(f.getparent().get("text") == f.get("category").split("/")[1] for f in categorised)
    # A reader's import of it gives the same feeds back, as sources.
    imported = import_opml(body)
    assert {f.url for f in imported.added} == {f.get("xmlUrl") for f in feeds}


OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>阅读器导出</title></head><body>
  <outline text="科技" title="科技">
    <outline text="少数派" type="rss" xmlUrl="https://sspai.com/feed" htmlUrl="https://sspai.com"/>
    <outline text="新闻"><outline text="Hacker News" type="rss" xmlUrl="https://news.ycombinator.com/rss"/></outline>
  </outline>
  <outline text="少数派 again" type="rss" xmlUrl="https://sspai.com/feed"/>
  <outline text="已有" type="rss" xmlUrl="https://example.org/existing.xml"/>
</body></opml>
"""
EXISTING = """# my sources
[sources.mine]
kind = "feed"
title = "Mine"
urls = ["https://example.org/existing.xml"]
"""


def test_import_opml_adds_new_feeds_with_folders_as_categories(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                               ) -> None:
    opml, config = tmp_path / "reader.opml", tmp_path / "feedarchiver.toml"
    opml.write_text(OPML, encoding="utf-8")
    config.write_text(EXISTING, encoding="utf-8")
    assert main(["import-opml", str(opml), "--config", str(config), "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert config.read_text("utf-8") == EXISTING and "[sources.hacker-news]" in printed
    assert main(["import-opml", str(opml), "--config", str(config)]) == 0
    written = config.read_text("utf-8")
    assert written.startswith(EXISTING)
    sources = load_config(config).sources
    assert set(sources) >= {"mine", "sspai-com", "hacker-news"}
    assert sources["hacker-news"].categories == ("科技", "新闻") and sources["hacker-news"].kind == "feed"
    assert sources["sspai-com"].title == "少数派" and sources["sspai-com"].categories == ("科技",)
    assert [s.urls for s in sources.values()].count(("https://sspai.com/feed",)) == 1
    # Again: everything is known by now, nothing is added.
    assert main(["import-opml", str(opml), "--config", str(config)]) == 0
    assert config.read_text("utf-8") == written


def test_a_copy_is_diffed_character_by_character() -> None:
    line = "县域职校开出无人机植保班。学生农忙时节下田实训，"
    original = line * 3 + "记者张三报道。"
    copy = line.replace("田", "地") + line * 2 + "来源：快讯网"
    diff = text_diff(original, copy)
    assert not diff.same and "<del>田</del><ins>地</ins>" in diff.html
    assert "<ins>来源：快讯网</ins>" in diff.html and "<del>记者张三报道。</del>" in diff.html
    assert diff.inserted == 1 + len("来源：快讯网") and diff.deleted == 1 + len("记者张三报道。")
    assert text_diff(original, original).same
    assert str(text_diff("<b>", "<i>").html) == "&lt;<del>b</del><ins>i</ins>&gt;"  # text, never markup

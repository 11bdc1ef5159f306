"""`feedarchiver serve` as feed readers use it: conditional GETs, gzip, filters — and a real reader."""

from __future__ import annotations

import gzip
import shutil
import sqlite3
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import feedparser
import pytest

from tests.conftest import Crawl, run_cli, sqlite_index
from web.server import make_server

pytestmark = pytest.mark.crawl


@pytest.fixture(scope="module")
def served(crawl: Crawl) -> Iterator[str]:
    server = make_server(crawl.data, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def get(url: str, **headers: str) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_reader_polls_and_gets_304_when_nothing_changed(crawl: Crawl, served: str) -> None:
    status, headers, body = get(f"{served}/feeds/all.atom")
    assert status == 200 and headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert feedparser.parse(body).bozo == 0
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert get(f"{served}/feeds/all.atom", **{"If-None-Match": etag})[0] == 304
    assert get(f"{served}/feeds/all.atom", **{"If-Modified-Since": modified})[0] == 304
    # An export that changes nothing leaves the files alone: readers still get 304.
    export = run_cli("export", "--config", str(crawl.config), "--data", str(crawl.data))
    assert export.returncode == 0, export.stderr
    status, again, _ = get(f"{served}/feeds/all.atom", **{"If-None-Match": etag})
    assert status == 304 and again["ETag"] == etag


def test_gzip_and_content_types(served: str) -> None:
    status, headers, body = get(f"{served}/feeds/all.atom", **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip" and headers["Vary"] == "Accept-Encoding"
    assert feedparser.parse(gzip.decompress(body)).bozo == 0
    assert get(f"{served}/feeds/all.json")[1]["Content-Type"] == "application/feed+json; charset=utf-8"
    assert get(f"{served}/feeds/all.rss")[1]["Content-Type"] == "application/rss+xml; charset=utf-8"


def test_rsshub_style_filters(crawl: Crawl, served: str) -> None:
    everything = feedparser.parse(get(f"{served}/feeds/all.atom")[2]).entries
    assert len(feedparser.parse(get(f"{served}/feeds/all.atom?limit=2")[2]).entries) == 2
    word = everything[0].title[:4]
    kept = feedparser.parse(get(f"{served}/feeds/all.atom?filter={urllib.parse.quote(word)}")[2]).entries
    assert kept and all(word in e.title or word in e.content[0].value for e in kept)
    dropped = feedparser.parse(get(f"{served}/feeds/all.atom?filterout={urllib.parse.quote(word)}")[2]).entries
    assert len(dropped) + len(kept) == len(everything)
    zaker = feedparser.parse(get(f"{served}/feeds/all.rss?category=ZAKER")[2]).entries
    assert zaker and all("ZAKER" in [t.term for t in e.tags] for e in zaker)
    json_items = get(f"{served}/feeds/all.json?limit=1")[2]
    assert json_items.count(b'"id": "tag:') == 1
    status, _, body = get(f"{served}/feeds/all.atom?filter=(")
    assert status == 400 and b"not a valid regular expression" in body


def test_only_the_published_tree_is_served(served: str) -> None:
    assert get(f"{served}/index.sqlite3")[0] == 404
    assert get(f"{served}/feeds/../index.sqlite3")[0] == 404
    assert get(f"{served}/feeds/%2e%2e/index.sqlite3")[0] == 404
    assert get(f"{served}/feeds/")[0] == 404


def test_newsboat_loads_a_served_feed(served: str, tmp_path: Path) -> None:
    newsboat = shutil.which("newsboat")
    assert newsboat, "newsboat is installed by deploy/test.sh"
    urls = tmp_path / "urls"
    urls.write_text(f"{served}/feeds/all.atom\n", encoding="utf-8")
    config = tmp_path / "config"
    config.write_text("", encoding="utf-8")
    cache = tmp_path / "cache.db"
    run = subprocess.run([newsboat, "-u", str(urls), "-c", str(cache), "-C", str(config), "-x", "reload",
                          "print-unread"], capture_output=True, text=True, timeout=60, check=False,
                         env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stdout + run.stderr
    with sqlite3.connect(cache) as db:
        titles = [row[0] for row in db.execute("SELECT title FROM rss_item")]
    entries = feedparser.parse(get(f"{served}/feeds/all.atom")[2]).entries
    assert sorted(titles) == sorted(e.title for e in entries)
    assert f"{len(entries)} unread articles" in run.stdout


@pytest.fixture(scope="module")
def served_with_snapshots(crawl: Crawl) -> Iterator[str]:
    from crawler.config import load_config
    from web.service import snapshot_provider

    provider = snapshot_provider(load_config(crawl.config), crawl.data)
    server = make_server(crawl.data, "127.0.0.1", 0, snapshots=provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_entries_link_the_archived_page_and_serve_answers_it_as_sent(crawl: Crawl, served_with_snapshots: str) -> None:
    feed = feedparser.parse(f"{served_with_snapshots}/feeds/all.atom")  # resolves relative links against it
    assert feed.bozo == 0 and feed.entries
    checked = 0
    for entry in feed.entries:
        alternate = next(link.href for link in entry.links if link.rel == "alternate")
        mementos = [link.href for link in entry.links if link.rel == "memento"]
        assert len(mementos) == 1, entry.id
        assert mementos[0].startswith(f"{served_with_snapshots}/web/")
        assert mementos[0].split("/", 5)[5].replace(":/", "://", 1) == alternate  # urljoin merges the "//"
        status, headers, body = get(mementos[0])
        assert status == 200, (mementos[0], body[:200])
        assert headers["Link"] == f'<{alternate}>; rel="original"'
        assert headers["Memento-Datetime"].endswith(" GMT")
        assert headers["Content-Security-Policy"].startswith("sandbox;") and "script-src" not in headers[
            "Content-Security-Policy"]  # default-src 'none' covers scripts
        if urllib.parse.urlsplit(alternate).hostname == "127.0.0.1":
            # HTML is rewritten to replay from the archive; pywb's id_ modifier answers it as it was sent.
            timestamp, original = mementos[0].split("/", 5)[4:]
            status, _, sent = get(f"{served_with_snapshots}/web/{timestamp}id_/{original}")
            with urllib.request.urlopen(alternate, timeout=10) as live:  # the demo web's page, as it sends it
                assert status == 200 and sent == live.read(), f"snapshot of {alternate} differs from the page"
                checked += 1
    assert checked >= 3
    # Archive pages are deeper in the tree: their relative links still reach /web/.
    page = feedparser.parse(f"{served_with_snapshots}/feeds/archive/all/1.atom")
    assert all(link.href.startswith(f"{served_with_snapshots}/web/") for entry in page.entries
               for link in entry.links if link.rel == "memento")


def test_snapshots_of_unknown_urls_and_bad_timestamps_are_404(served_with_snapshots: str) -> None:
    assert get(f"{served_with_snapshots}/web/20260101000000/http://nowhere.example/")[0] == 404
    assert get(f"{served_with_snapshots}/web/yesterday/http://nowhere.example/")[0] == 404
    assert get(f"{served_with_snapshots}/web/")[0] == 404


def test_a_revisit_is_answered_with_the_payload_it_refers_to(recrawl: Crawl) -> None:
    from crawler.archive.snapshots import SnapshotFinder, timestamp14
    from crawler.config import load_config
    from crawler.index import SqlIndexStore

    store = SqlIndexStore(sqlite_index(recrawl.data))
    try:
        finder = SnapshotFinder(recrawl.data / "warc", store)
        captured = {url: sorted(store.captures_at(url), key=lambda ref: ref["captured_at"])
                    for url in {ref["url"] for ref in store.all_captures()}}
        # Pages captured by both crawls, in different seconds (what a 14-digit timestamp tells apart).
        revisited = sorted(url for url, refs in captured.items()
                           if timestamp14(refs[0]["captured_at"]) != timestamp14(refs[-1]["captured_at"]))
        assert revisited, "the recrawl captured pages again"
        for url in revisited[:5]:
            first, last = captured[url][0], captured[url][-1]
            earliest = finder.find(timestamp14(first["captured_at"]), url)
            latest = finder.find("29991231235959", url)
            # Nearest to the second: the recrawl's capture, not the first crawl's.
            assert timestamp14(latest.captured_at) == timestamp14(last["captured_at"]) != timestamp14(
                earliest.captured_at)
            assert latest.body == earliest.body and latest.content_type == earliest.content_type
    finally:
        store.close()
    assert load_config(recrawl.config).settings.replay_url == ""

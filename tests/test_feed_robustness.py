"""Nothing lost from real feeds and pages: one crawl of the demo web's poisoned listings, broken
pictures, unreachable sources and feed corpus (crawler/demoweb/poisoned.py), through the real crawler."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from crawler.demoweb import DemoWeb
from crawler.demoweb.poisoned import (
    BAD_PICTURES,
    CORPUS,
    CORPUS_POSTS,
    EVOLVING_FEED,
    GOOD_ARTICLES,
    POISONED_FEED,
    POISONED_LIST,
    POISONED_QTT_API,
    POISONED_ZAKER_CHANNEL,
    POISONED_ZAKER_SITE,
)
from crawler.index import StoredPost
from crawler.index.sql import SqlIndexStore
from tests.conftest import Crawl, bare, run_cli, sqlite_index

pytestmark = pytest.mark.crawl

SPIDER_KINDS = ("feed", "list", "qutoutiao", "zaker")
# Source name -> the error kind its fetch must be recorded as.
ERROR_SOURCES = ("err-dns", "err-refused", "err-timeout", "err-404", "err-503", "err-tls")


def _corpus_source(name: str) -> str:
    return "corpus-" + name.replace(".", "-")


def _refused_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class NotTls:
    """A loopback port that answers every connection with bytes that are no TLS record (an SSH banner):
    what an https:// URL on a wrong port meets. Serves a bounded number of connections."""

    def __init__(self, connections: int = 8) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.sock.settimeout(60)
        self.port = int(self.sock.getsockname()[1])
        self.thread = threading.Thread(target=self._serve, args=(connections,), daemon=True)
        self.thread.start()

    def _serve(self, connections: int) -> None:
        for _ in range(connections):
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n" + b"\x00" * 64)
                conn.settimeout(2)
                with contextlib.suppress(OSError):
                    conn.recv(4096)

    def close(self) -> None:
        self.sock.close()
        self.thread.join(timeout=5)


@pytest.fixture(scope="module")
def not_tls() -> Iterator[NotTls]:
    server = NotTls()
    yield server
    server.close()


@pytest.fixture(scope="module")
def demo_web() -> Iterator[DemoWeb]:
    """A demo web of this module's own: its error-kind crawls ask the broken host's 503 and slow routes,
    whose requests other modules count on the session's demo web."""
    with DemoWeb(base_port=0) as web:
        yield web


def _sources(web: DemoWeb, refused: int, tls_port: int) -> str:
    broken = web.base_url("broken")
    tls = f"https://127.0.0.1:{tls_port}"
    blocks = [
        f'[sources.poisoned-feed]\nkind = "feed"\nurls = ["{web.ref_url(POISONED_FEED)}"]\nfollow_original = false\n',
        f'[sources.poisoned-list]\nkind = "list"\nurls = ["{web.ref_url(POISONED_LIST)}"]\nitem = "ul.news li"\n'
        'item_link = "a"\nitem_date = "span.date"\n',
        f'[sources.poisoned-qutoutiao]\nkind = "qutoutiao"\naggregator = true\n'
        f'urls = ["{web.ref_url(POISONED_QTT_API)}"]\n'
        "cids = [7]\npage_size = 10\nmax_pages = 1\nfollow_original = false\n",
        f'[sources.poisoned-zaker]\nkind = "zaker"\naggregator = true\nurls = ["{web.ref_url(POISONED_ZAKER_SITE)}"]\n'
        f'channels = ["{POISONED_ZAKER_CHANNEL}"]\nfollow_original = false\n',
        '[sources.err-dns]\nkind = "feed"\nurls = ["http://feed.nowhere.invalid/feed.xml"]\n',
        f'[sources.err-refused]\nkind = "feed"\nurls = ["http://127.0.0.1:{refused}/feed.xml"]\n',
        f'[sources.err-timeout]\nkind = "feed"\nurls = ["{broken}/slow"]\n',
        f'[sources.err-404]\nkind = "feed"\nurls = ["{broken}/no/such/feed.xml"]\n',
        f'[sources.err-503]\nkind = "feed"\nurls = ["{broken}/hostile/unavailable"]\n',
        f'[sources.err-tls]\nkind = "feed"\nurls = ["{tls}/corpus/rss20.xml"]\n',
    ]
    blocks += [f'[sources.{_corpus_source(name)}]\nkind = "feed"\nurls = ["{broken}/corpus/{name}"]\n'
               'follow_original = false\n' for name in CORPUS]
    return "\n".join(blocks)


def _config(web: DemoWeb, data: Path, sources: str, *ports: int) -> Path:
    config = data / "sources.toml"
    also = tuple(f"127.0.0.1:{port}" for port in ports)
    text = web.sources_toml(also_allow=also)
    # Sources after [settings] would be read as settings: put them before it.
    config.write_text(text.replace("[settings]\n", sources + "\n[settings]\n", 1), encoding="utf-8")
    return config


def _crawl(config: Path, data: Path, *names: str, web: DemoWeb, settings: tuple[str, ...] = ()) -> Crawl:
    options = [arg for setting in settings for arg in ("-s", setting)]
    result = run_cli("crawl", *names, "--config", str(config), "--data", str(data / "data"), *options)
    assert result.returncode == 0, result.stdout + result.stderr
    return Crawl(data=data / "data", config=config, output=result.stdout + result.stderr, web=web)


@pytest.fixture(scope="module")
def robust(demo_web: DemoWeb, not_tls: NotTls, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    data = tmp_path_factory.mktemp("robust")
    refused = _refused_port()
    config = _config(demo_web, data, _sources(demo_web, refused, not_tls.port), refused, not_tls.port)
    names = [f"poisoned-{kind}" for kind in SPIDER_KINDS] + [_corpus_source(name) for name in CORPUS]
    return _crawl(config, data, *names, web=demo_web)


@pytest.fixture(scope="module")
def unreachable(demo_web: DemoWeb, not_tls: NotTls, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    """The sources that cannot be fetched, in a crawl of their own: its short timeout must not cut the
    pages of the others on a busy machine. No retries: each failure is recorded once."""
    data = tmp_path_factory.mktemp("unreachable")
    refused = _refused_port()
    config = _config(demo_web, data, _sources(demo_web, refused, not_tls.port), refused, not_tls.port)
    return _crawl(config, data, *ERROR_SOURCES, web=demo_web, settings=("DOWNLOAD_TIMEOUT=1", "RETRY_TIMES=0"))


def _details(crawl: Crawl) -> dict[str, dict[str, Any]]:
    store = crawl.store()
    try:
        return {name: runs[0].details for name, runs in store.recent_runs().items() if runs}
    finally:
        store.close()


def _posts_of(crawl: Crawl, source: str) -> list[StoredPost]:
    return [p for p in crawl.posts() if source in p.sources]


@pytest.mark.parametrize("kind", SPIDER_KINDS)
def test_a_poisoned_first_entry_leaves_every_later_entry_in_the_index(robust: Crawl, kind: str) -> None:
    source = f"poisoned-{kind}"
    stored = {bare(u.url) for p in robust.posts() for u in p.urls if u.source == source}
    for article in GOOD_ARTICLES:
        assert robust.web.url("broken", article.path) in stored, f"{source} lost {article.path}"
    details = _details(robust)[source]
    # The poison is counted, by kind, and never as a crash of the spider's callback.
    assert "error/spider_exception" not in details
    assert sum(v for k, v in details.items() if k.startswith("error/")) >= 2
    assert details["items"] >= len(GOOD_ARTICLES)


def test_the_poison_names_its_kind(robust: Crawl) -> None:
    details = _details(robust)
    assert details["poisoned-feed"].get("error/entry_without_link") == 2  # javascript: link, unparsable host
    assert details["poisoned-list"].get("error/entry") == 1  # a link urljoin refuses
    assert details["poisoned-list"].get("error/item_without_link") == 1  # javascript: only
    assert details["poisoned-qutoutiao"].get("error/entry") == 1  # "http://[::1/broken"
    assert details["poisoned-qutoutiao"].get("error/entry_without_link") == 1  # an object as url
    assert details["poisoned-zaker"].get("error/entry") == 1
    assert details["poisoned-zaker"].get("error/bad_url") == 1  # javascript: is never requested
    paths = {r.path for r in robust.web.requests}
    assert not [p for p in paths if "javascript" in p or "urn:" in p or "[" in p]


@pytest.mark.parametrize("article", GOOD_ARTICLES, ids=lambda a: a.picture)
def test_a_broken_picture_leaves_its_post_stored_without_it(robust: Crawl, article: Any) -> None:
    post = robust.post_at(f"broken:{article.path}")
    picture = robust.web.url("broken", f"/poisoned/img/{article.picture}")
    assert picture in post.body_html and "/media/" not in post.body_html  # left at its original URL
    assert post.title == article.title and "坏条目" in post.text
    store = robust.store()
    try:
        assert store.media(post.id) == []
    finally:
        store.close()


def test_broken_pictures_are_counted_by_what_is_wrong(robust: Crawl) -> None:
    failed = {k.removeprefix("images/failed/"): v for k, v in _details(robust)["poisoned-feed"].items()
              if k.startswith("images/failed/")}
    assert failed.get("too_large", 0) >= 1  # the pixel bomb
    assert failed.get("empty", 0) >= 1
    assert sum(failed.values()) == len(BAD_PICTURES)


@pytest.mark.parametrize(("source", "kind"), [
    ("err-dns", "dns"), ("err-refused", "connection_refused"), ("err-timeout", "timeout"),
    ("err-404", "http_404"), ("err-503", "http_503"), ("err-tls", "tls"),
])
def test_fetch_errors_are_recorded_by_kind(unreachable: Crawl, source: str, kind: str) -> None:
    details = _details(unreachable)[source]
    errors = {k.removeprefix("error/") for k in details if k.startswith("error/")}
    assert errors == {kind}, details


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_corpus_entry_with_content_is_a_post(robust: Crawl, name: str) -> None:
    source = _corpus_source(name)
    posts = _posts_of(robust, source)
    assert sorted(p.title for p in posts) == sorted(CORPUS_POSTS[name])
    feed_url = robust.web.url("broken", f"/corpus/{name}")
    from_feed = [p for p in posts if any(u.url.startswith(feed_url + "#") for u in p.urls)]
    pictures = robust.web.url("broken", "/corpus/img/")
    for post in posts:
        captured = {c["url"] for c in post.captures if not c["url"].startswith(pictures)}
        if post not in from_feed:
            assert captured == {post.url}, f"{post.title!r}: not its page's capture"
        else:
            assert captured == {feed_url}, f"{post.title!r}: not the feed's capture"  # every one of them
    assert _details(robust)[source].get("from_feed", 0) == len(from_feed)


def test_corpus_details(robust: Crawl) -> None:
    by_title = {p.title: p for p in robust.posts()}
    # An image in a from-feed body is archived like any page's, its relative URL resolved against the feed.
    rss10 = by_title["RSS 1.0 content encoded"]
    assert "/media/" in rss10.body_html and rss10.author == "王五"
    assert by_title["RSS 2.0 image enclosure"].lead_image is not None
    assert "纯文本内容 &lt;不是标签&gt;" in by_title["Atom text content"].body_html
    assert "GBK 字节" in by_title["编码声明错误的条目"].text
    assert by_title["语料页面6"].url == robust.web.url("broken", "/corpus/page/6.html")  # xml:base of the entry
    # A guid that is no permalink and a relative guid are never asked for.
    paths = {r.path for r in robust.web.requests}
    assert "/corpus/not-a-page" not in paths and "/corpus/12345" not in paths
    assert by_title["Undated entry"].published is None
    # A page that is gone (404) is counted, and its entry's own content is kept.
    dead = by_title["RSS 2.0 dead link"]
    assert [u.url for u in dead.urls] == [robust.web.url("broken", "/corpus/rss20.xml") + "#"
                                          + quote(robust.web.url("broken", "/corpus/gone.html"), safe="")]
    assert _details(robust)["corpus-rss20-xml"].get("error/http_404") == 1


def test_a_post_built_from_the_feed_is_replaced_when_the_feed_links_it(
        demo_web: DemoWeb, tmp_path: Path) -> None:
    source = f'[sources.evolving]\nkind = "feed"\nurls = ["{demo_web.ref_url(EVOLVING_FEED)}"]\n'
    config = _config(demo_web, tmp_path, source)
    routes = demo_web.site.poisoned
    try:
        routes.evolving_version = 1
        first = _crawl(config, tmp_path, "evolving", web=demo_web)
        [before] = first.posts()
        assert "订阅源里的版本" in before.text and before.urls[0].url.startswith(demo_web.ref_url(EVOLVING_FEED) + "#")
        routes.evolving_version = 2
        second = _crawl(config, tmp_path, "evolving", web=demo_web)
    finally:
        routes.evolving_version = 1
    [after] = second.posts()
    page = demo_web.url("broken", "/corpus/page/10.html")
    assert after.key == before.key  # the same entry, one post
    assert after.alternate == page and after.has_original and "语料第10页" in after.text
    assert {u.url for u in after.urls} == {before.urls[0].url, page}
    store = SqlIndexStore(sqlite_index(second.data))
    try:
        assert store.recent_runs()["evolving"][0].details.get("replaced_from_feed") == 1
    finally:
        store.close()

"""The demo web serves what its catalog promises, over real loopback HTTP."""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import re
import socket
import struct
import tomllib
import unicodedata
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from email.message import Message
from html.parser import HTMLParser
from urllib.error import HTTPError, URLError

import pytest

from crawler.demoweb import BROKEN_LINKS, FEEDS, HOSTS, IMAGE_CASES, START_PAGES, STORIES, DemoWeb, Story
from crawler.demoweb.catalog import split_ref
from crawler.demoweb.images import IMAGES, ODD_IMAGES, wechat_placeholder

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def web() -> Iterator[DemoWeb]:
    with DemoWeb(base_port=0) as demo:
        yield demo


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # hand 3xx back to the test instead of following it


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, headers: dict[str, str] | None = None, timeout: float = 10) -> tuple[int, Message, bytes]:
    """GET without following redirects; error statuses are returned, not raised."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def all_pages() -> list[str]:
    return [ref for story in STORIES for ref in story.pages]


# --- feeds ------------------------------------------------------------------------------------------


def test_rss_is_gzipped_when_asked_and_parses(web: DemoWeb) -> None:
    url = web.ref_url(FEEDS["qutoutiao-tech"])
    status, headers, body = fetch(url, {"Accept-Encoding": "gzip, deflate"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert body[:2] == b"\x1f\x8b"
    channel = ET.fromstring(gzip.decompress(body)).find("channel")
    assert channel is not None
    items = channel.findall("item")
    assert len(items) == 5
    for item in items:
        for tag in ("title", "link", "guid", "pubDate", "description"):
            assert (item.findtext(tag) or "").strip(), tag
        assert "<p>" not in (item.findtext("description") or "")  # a summary, not the article

    # Without Accept-Encoding: gzip the same feed comes as plain XML.
    status, headers, plain = fetch(url, {"Accept-Encoding": "identity"})
    assert status == 200 and headers["Content-Encoding"] is None
    assert plain == gzip.decompress(body)


def test_rss_links_cover_every_qutoutiao_story_and_the_broken_links(web: DemoWeb) -> None:
    _, _, body = fetch(web.ref_url(FEEDS["qutoutiao-tech"]))
    root = ET.fromstring(body)
    links = {(item.findtext("link") or "").split("?")[0] for item in root.iter("item")}
    expected = {web.ref_url(ref) for story in STORIES for ref in story.copies if ref.startswith("qutoutiao:")}
    expected.discard(web.url("qutoutiao", "/detail/2026/11/22/1782050213.html"))  # reached via /go/
    expected.discard(web.url("qutoutiao", "/detail/2026/11/23/1782061234.html"))  # only the list API has it
    expected |= {web.ref_url(BROKEN_LINKS["redirect"]), web.ref_url(BROKEN_LINKS["not-found"])}
    assert links == expected
    # The links carry the aggregator's tracking query, the guids do not.
    assert all(
        "content_id=" in (item.findtext("link") or "") or "/go/" in (item.findtext("link") or "")
        for item in root.iter("item")
    )


def test_broken_rss_is_not_well_formed(web: DemoWeb) -> None:
    status, headers, body = fetch(web.ref_url(FEEDS["qutoutiao-broken"]))
    assert status == 200
    assert headers["Content-Type"].startswith("application/rss+xml")
    assert b"<item>" in body
    with pytest.raises(ET.ParseError):
        ET.fromstring(body)


def test_atom_feed_is_well_formed_with_summaries_only(web: DemoWeb) -> None:
    status, headers, body = fetch(web.ref_url(FEEDS["zaker-news"]))
    assert status == 200
    assert headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert headers["Transfer-Encoding"] == "chunked"
    root = ET.fromstring(body)
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    links = set()
    for entry in entries:
        for tag in ("id", "title", "updated", "published", "summary"):
            assert (entry.findtext(f"{ATOM}{tag}") or "").strip(), tag
        assert entry.find(f"{ATOM}content") is None
        link = entry.find(f"{ATOM}link[@rel='alternate']")
        assert link is not None
        links.add(link.get("href"))
    assert links == {
        web.ref_url(ref) for story in STORIES for ref in story.copies if ref.startswith("zaker:")
    }


def test_json_feed_lists_cyol_originals(web: DemoWeb) -> None:
    status, headers, body = fetch(web.ref_url(FEEDS["cyol"]))
    assert status == 200
    assert headers["Content-Type"] == "application/feed+json; charset=utf-8"
    feed = json.loads(body)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert {item["url"] for item in feed["items"]} == {
        web.ref_url(story.original)
        for story in STORIES
        if story.original and story.original.startswith("cyol:")
    }
    for item in feed["items"]:
        assert item["date_published"].endswith("+08:00")
        assert item["id"] and item["title"] and item["summary"]


def test_not_feed_is_html(web: DemoWeb) -> None:
    status, headers, body = fetch(web.ref_url(BROKEN_LINKS["not-feed"]))
    assert status == 200
    assert headers["Content-Type"].startswith("application/rss+xml")
    assert body.lstrip().lower().startswith(b"<!doctype html")


# --- redirects, errors, broken things -----------------------------------------------------------------


def test_go_link_redirects_with_301(web: DemoWeb) -> None:
    status, headers, _ = fetch(web.ref_url(BROKEN_LINKS["redirect"]) + "?from=rss")
    assert status == 301
    assert headers["Location"] == web.url("qutoutiao", "/detail/2026/11/22/1782050213.html")


def test_missing_post_is_404(web: DemoWeb) -> None:
    status, headers, body = fetch(web.ref_url(BROKEN_LINKS["not-found"]) + "?content_id=1782055847")
    assert status == 404
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "不存在".encode() in body


def test_unknown_paths_and_traversal_are_404(web: DemoWeb) -> None:
    for host in HOSTS:
        assert fetch(web.url(host, "/no/such/page.html"))[0] == 404
    assert fetch(web.url("cyol", "/../catalog.py"))[0] == 404
    assert fetch(web.url("cyol", "/%2e%2e/%2e%2e/catalog.py"))[0] == 404


def test_directory_without_slash_redirects(web: DemoWeb) -> None:
    status, headers, _ = fetch(web.url("zaker", "/article/c9aa49c7aae229be7a2f7b0b"))
    assert status == 301
    assert headers["Location"] == web.url("zaker", "/article/c9aa49c7aae229be7a2f7b0b/")


def test_broken_host(web: DemoWeb) -> None:
    status, headers, _ = fetch(web.ref_url(BROKEN_LINKS["loop"]))
    assert (status, headers["Location"]) == (302, web.url("broken", "/loop2"))
    status, headers, _ = fetch(web.url("broken", "/loop2"))
    assert (status, headers["Location"]) == (302, web.url("broken", "/loop"))
    status, headers, body = fetch(web.ref_url(BROKEN_LINKS["empty"]))
    assert (status, headers["Content-Length"], body) == (200, "0", b"")
    with pytest.raises((TimeoutError, URLError)):
        fetch(web.ref_url(BROKEN_LINKS["slow"]), timeout=0.5)


def test_robots_txt_allows_everything(web: DemoWeb) -> None:
    assert HOSTS
    for host in HOSTS:
        status, headers, body = fetch(web.url(host, "/robots.txt"))
        assert status == 200
        assert headers["Content-Type"].startswith("text/plain")
        assert b"Allow: /" in body and b"Disallow" not in body


def test_conditional_get_answers_304(web: DemoWeb) -> None:
    url = web.ref_url(FEEDS["cyol"])
    _, headers, _ = fetch(url)
    assert fetch(url, {"If-None-Match": headers["ETag"]})[:1] == (304,)
    assert fetch(url, {"If-Modified-Since": headers["Last-Modified"]})[:1] == (304,)
    assert fetch(url, {"If-None-Match": '"other"'})[0] == 200


def test_head_sends_headers_only(web: DemoWeb) -> None:
    url = web.url("cyol", "/content/2026-11/21/content_38215520.htm")
    request = urllib.request.Request(url, method="HEAD")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert response.read() == b""
        assert int(response.headers["Content-Length"]) == len(fetch(url)[2])


# --- stories ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("ref", all_pages())
def test_every_story_page_answers_200(web: DemoWeb, ref: str) -> None:
    status, headers, body = fetch(web.ref_url(ref) + "?content_id=1&key=x")  # queries are ignored
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert b"{{" not in body


@pytest.mark.parametrize("story", STORIES, ids=lambda story: story.key)
def test_story_pages_carry_their_metadata(web: DemoWeb, story: Story) -> None:
    assert story.pages
    for ref in story.pages:
        encoding = story.encoding if ref == story.original else "utf-8"
        page = fetch(web.ref_url(ref))[2].decode(encoding)
        assert f'property="og:title" content="{story.title}"' in page
        assert 'property="og:site_name"' in page
        assert "<title>" in page
        assert "article:published_time" in page or re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d", page)
        assert re.search(r"(data-src|data-original|src)=\"http://127\.0\.0\.1:\d+/[^\"]+\.png\"", page)
    for ref in story.copies:
        copy = fetch(web.ref_url(ref))[2].decode()
        assert f"来源：{story.source_name}" in copy
        if story.original and story.linked:
            assert web.ref_url(story.original) in copy
            assert "阅读原文" in copy or "原文链接" in copy
        elif story.original:  # only an API names the original: the page must not
            assert web.ref_url(story.original) not in copy


def test_gbk_pages(web: DemoWeb) -> None:
    status, headers, body = fetch(web.url("gbknews", "/news/118734.shtml"))
    assert (status, headers["Content-Type"]) == (200, "text/html")  # charset only in the <meta>
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    page = body.decode("gbk")
    assert 'charset=gb2312"' in page
    assert "加装电梯" in page and "王喆" in page  # 喆 is GBK, not GB2312: decode as GB18030
    assert "2026年11月21日 09:30" in page

    status, headers, body = fetch(web.url("gbknews", "/news/118752.shtml"))
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=GBK")
    page = body.decode("gbk")
    assert "charset" not in page.lower()  # charset only in the header
    assert "地铁5号线" in page


class _BodyText(HTMLParser):
    """Text of the first element matching (attribute, value), minus recommendation blocks."""

    _SKIP_IDS = {"recommend_bottom", "article_bottom"}
    _BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3"}
    _VOID = {"img", "br", "meta", "link", "input", "hr"}

    def __init__(self, attr: str, value: str) -> None:
        super().__init__()
        self.attr, self.value = attr, value
        self.depth = 0  # > 0 while inside the container
        self.skip = 0  # > 0 while inside a skipped subtree
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in self._VOID:
            return
        if self.depth:
            self.depth += 1
            if self.skip or values.get("id") in self._SKIP_IDS or tag in ("script", "style"):
                self.skip += 1
        elif self.value in (values.get(self.attr) or "").split():
            self.depth = 1
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._VOID or not self.depth:
            return
        self.depth -= 1
        if self.skip:
            self.skip -= 1
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.depth and not self.skip:
            self.parts.append(data)


_CONTAINERS = {
    "qutoutiao": ("class", "content"),
    "zaker": ("class", "article_content"),
    "cyol": ("class", "article-content"),
    "gbknews": ("id", "zoom"),
}
_TRAILER = re.compile(r"^(来源|阅读原文|原文链接)")


def story_hash_text(web: DemoWeb, ref: str, encoding: str) -> str:
    """The story text as the crawler's dedupe sees it: NFKC, no trailers, no whitespace or punctuation."""
    host, _ = split_ref(ref)
    parser = _BodyText(*_CONTAINERS[host])
    parser.feed(fetch(web.ref_url(ref))[2].decode(encoding))
    lines = [line.strip() for line in "".join(parser.parts).splitlines() if line.strip()]
    while lines and _TRAILER.match(lines[-1]):
        lines.pop()
    text = unicodedata.normalize("NFKC", "\n".join(lines))
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "ZPSC")


@pytest.mark.parametrize("story", [s for s in STORIES if s.original and s.copies], ids=lambda s: s.key)
def test_copies_hash_like_the_original(web: DemoWeb, story: Story) -> None:
    assert story.original is not None
    original = story_hash_text(web, story.original, story.encoding)
    assert len(original) > 300
    for ref in story.copies:
        assert story_hash_text(web, ref, "utf-8") == original, ref


def test_same_story_copies_differ_in_bytes(web: DemoWeb) -> None:
    story = next(s for s in STORIES if s.key == "same-story")
    assert story.original is not None
    pages = [fetch(web.ref_url(ref))[2].decode() for ref in story.pages]
    assert len({hash(page) for page in pages}) == 3
    assert "２０２６" in pages[1] and "航线, 一人" in pages[2]  # full-width digits, half-width comma


def test_stories_are_distinct() -> None:
    assert len({s.key for s in STORIES}) == len(STORIES) >= 9
    pages = all_pages()
    assert len(pages) == len(set(pages))
    assert not set(pages) & set(BROKEN_LINKS.values())


# --- images -----------------------------------------------------------------------------------------


def test_images_are_valid_pngs(web: DemoWeb) -> None:
    assert IMAGES
    for path, spec in IMAGES.items():
        status, headers, body = fetch(web.url("img", path))
        assert (status, headers["Content-Type"]) == (200, "image/png"), path
        assert body[:8] == b"\x89PNG\r\n\x1a\n"
        assert body[12:16] == b"IHDR"
        assert struct.unpack(">II", body[16:24]) == (spec.width, spec.height)


def test_every_image_in_the_pages_is_served(web: DemoWeb) -> None:
    img = re.escape(web.base_url("img"))
    seen = set()
    for ref in all_pages():
        seen |= set(re.findall(img + r"(/[^\"\s?]+\.(?:png|gif|jpg))", fetch(web.ref_url(ref))[2].decode("latin-1")))
    assert seen
    assert seen - set(ODD_IMAGES) - {split_ref(IMAGE_CASES["missing"])[1]} <= set(IMAGES)


def test_image_cdn_is_hotlink_protected_by_referer(web: DemoWeb) -> None:
    zaker_page = web.ref_url("zaker:/article/c9aa49c7aae229be7a2f7b0b/")
    picture = web.url("img", "/202611/3c616863b17578517c782551_1024.png")
    assert fetch(picture)[0] == 200  # no Referer: allowed
    assert fetch(picture, {"Referer": zaker_page})[0] == 200  # the owner's pages
    assert fetch(picture, {"Referer": web.base_url("zaker") + "/"})[0] == 200  # the owner's origin
    status, _, body = fetch(picture, {"Referer": web.ref_url("qutoutiao:/detail/2026/11/21/1782046690.html")})
    assert status == 403 and "盗链".encode() in body
    status, _, _ = fetch(web.ref_url(IMAGE_CASES["hotlinked"]), {"Referer": zaker_page})
    assert status == 403


def test_wechat_like_host_sends_a_stock_picture_to_foreign_referers(web: DemoWeb) -> None:
    url = web.ref_url(IMAGE_CASES["wechat"]) + "?wx_fmt=png"
    status, headers, real = fetch(url)
    assert (status, headers["Content-Type"]) == (200, "image/png")
    status, headers, stock = fetch(url, {"Referer": web.ref_url(STORIES[-1].copies[0])})
    assert (status, headers["Content-Type"]) == (200, "image/png")
    assert stock != real and stock == wechat_placeholder()
    assert struct.unpack(">II", real[16:24]) == (240, 150)
    assert f'"{hashlib.sha256(stock).hexdigest()}"' in web.sources_toml()


def test_odd_images(web: DemoWeb) -> None:
    status, headers, body = fetch(web.ref_url(IMAGE_CASES["gif"]))
    assert (status, headers["Content-Type"], body[:6]) == (200, "image/gif", b"GIF89a")
    status, _, body = fetch(web.ref_url(IMAGE_CASES["beacon"]) + "?aid=1")
    assert status == 200 and body[:6] in (b"GIF87a", b"GIF89a") and struct.unpack("<HH", body[6:10]) == (1, 1)
    status, headers, body = fetch(web.ref_url(IMAGE_CASES["too-large"]))
    assert status == 200 and len(body) > 1_000_000 and body[:8] == b"\x89PNG\r\n\x1a\n"
    status, headers, body = fetch(web.ref_url(IMAGE_CASES["not-image"]))
    assert (status, headers["Content-Type"]) == (200, "image/jpeg") and body.startswith(b"<!DOCTYPE html>")
    assert fetch(web.ref_url(IMAGE_CASES["missing"]))[0] == 404
    status, headers, body = fetch(web.ref_url(IMAGE_CASES["relative"]))
    assert (status, headers["Content-Type"]) == (200, "image/png")


def test_image_cases_are_in_the_wechat_copy(web: DemoWeb) -> None:
    page = fetch(web.ref_url("zaker:/article/e0f3b5a2c7d94e1b8a6f2c10/"))[2].decode()
    assert IMAGE_CASES
    for case, ref in IMAGE_CASES.items():
        host, path = split_ref(ref)
        if case == "relative":
            assert 'src="../../static/pic/' in page
        elif case == "protocol-relative":
            assert f'"//{web.base_url(host).removeprefix("http://")}{path}"' in page
        else:
            assert web.url(host, path).replace("&", "&amp;") in page, case


def test_request_log_records_referer(web: DemoWeb) -> None:
    web.clear_requests()
    page = web.url("zaker", "/article/c9aa49c7aae229be7a2f7b0b/")
    fetch(web.url("img", "/202611/3c616863b17578517c782551_1024.png"), {"Referer": page})
    fetch(web.url("img", "/nope.png"))
    first, second = web.requests
    assert (first.host, first.method, first.status) == ("img", "GET", 200)
    assert first.headers["referer"] == page
    assert (second.path, second.status) == ("/nope.png", 404)
    assert "referer" not in second.headers


# --- the server itself ------------------------------------------------------------------------------


def test_sources_toml_is_rendered(web: DemoWeb) -> None:
    text = web.sources_toml()
    assert "{{" not in text
    sources = tomllib.loads(text)["sources"]
    feeds = {name: table for name, table in sources.items() if table["kind"] == "feed"}
    assert set(feeds) == set(FEEDS)
    for name, table in feeds.items():
        assert table["urls"] == [web.ref_url(FEEDS[name])]
        assert len(table["categories"]) == 3
    others = {name: table for name, table in sources.items() if table["kind"] != "feed"}
    assert set(others) == set(START_PAGES)
    for name, table in others.items():
        assert web.ref_url(START_PAGES[name]).startswith(table["urls"][0])


def test_sources_toml_allows_exactly_the_demo_hosts(web: DemoWeb) -> None:
    settings = tomllib.loads(web.sources_toml())["settings"]
    # The SSRF guard blocks loopback: the demo opens exactly its own host:port pairs, nothing wider.
    assert sorted(settings["allow_hosts"]) == sorted(f"127.0.0.1:{web.base_url(h).rsplit(':', 1)[1]}" for h in HOSTS)
    assert "allow_networks" not in settings
    extra = tomllib.loads(web.sources_toml(("127.0.0.1:9",)))["settings"]["allow_hosts"]
    assert extra == ["127.0.0.1:9", *settings["allow_hosts"]]


def test_render_and_urls(web: DemoWeb) -> None:
    assert web.start() is web  # idempotent
    assert web.render("{{host:cyol}}/x") == web.base_url("cyol") + "/x"
    assert web.render("//{{netloc:img}}/x") == web.base_url("img").removeprefix("http:") + "/x"
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", web.base_url("img"))
    assert len({web.base_url(host) for host in HOSTS}) == len(HOSTS)
    with pytest.raises(ValueError):
        web.render("{{host:nowhere}}")
    with pytest.raises(ValueError):
        web.url("cyol", "relative")


def test_base_port_falls_back_when_taken(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with caplog.at_level(logging.WARNING, logger="crawler.demoweb"), DemoWeb(base_port=port) as demo:
            assert demo.base_url("qutoutiao") != f"http://127.0.0.1:{port}"
            assert fetch(demo.url("qutoutiao", "/robots.txt"))[0] == 200
    assert any("qutoutiao" in record.getMessage() for record in caplog.records)


def test_stopped_web_has_no_urls() -> None:
    demo = DemoWeb()
    with pytest.raises(RuntimeError):
        demo.base_url("cyol")
    demo.start()
    demo.stop()
    with pytest.raises(RuntimeError):
        demo.base_url("cyol")

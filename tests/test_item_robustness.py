"""One item's failure is that item's alone, below the crawl: feed entries, pictures, pipelines and the
error kinds of failed fetches (the crawl-level proofs are in test_feed_robustness.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, DownloadTimeoutError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseNeverReceived

from crawler.content.feeds import parse_feed
from crawler.content.images import inspect_image
from crawler.demoweb.poisoned import BAD_PICTURES
from crawler.errors import MediaError
from crawler.exceptions import fetch_error_kind
from crawler.items import PostItem
from crawler.pipelines.sanitize import SanitizeHtmlPipeline
from crawler.spiders.feed import entry_hash, from_feed_url
from tests.test_media import FakeWeb, Stats, picture, pipeline, post

FEED = "http://feeds.example.test/blog/feed"


class RunStats(Stats):
    """Counters, and the values a source's run records (``last_error``)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, Any] = {}

    def set_value(self, key: str, value: Any) -> None:
        self.values[key] = value


def atom(*entries: str, base: str = "") -> bytes:
    xml_base = f' xml:base="{base}"' if base else ""
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"{xml_base}>'
            f"<title>t</title><id>urn:feed</id>{''.join(entries)}</feed>").encode()


def rss(*items: str) -> bytes:
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{"".join(items)}'
            "</channel></rss>").encode()


@pytest.mark.parametrize("entry", [
    '<entry><id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id><title>a</title><content>c</content></entry>',
    '<entry><id>tag:example.org,2003:3.2397</id><title>a</title><content>c</content></entry>',
    '<entry><id>http://feeds.example.test/e/1</id><title>a</title><content>c</content></entry>',
    '<entry><id>x</id><title>a</title><link href="javascript:alert(1)"/><content>c</content></entry>',
    '<entry><id>x</id><title>a</title><link href="mailto:a@example.test"/><content>c</content></entry>',
    '<entry><id>relative-id</id><title>a</title><content>c</content></entry>',
])
def test_an_atom_id_or_a_non_web_link_is_never_the_page(entry: str) -> None:
    [parsed] = parse_feed(atom(entry, base="http://feeds.example.test/blog/"), "application/atom+xml", FEED).entries
    assert parsed.link is None and parsed.has_content


@pytest.mark.parametrize(("item", "link"), [
    ('<item><guid isPermaLink="false">http://feeds.example.test/p/1</guid><description>d</description></item>', None),
    ("<item><guid>http://feeds.example.test/p/1</guid><description>d</description></item>",
     "http://feeds.example.test/p/1"),
    ("<item><guid>12345</guid><description>d</description></item>", None),
    ("<item><link>/p/2</link><description>d</description></item>", "http://feeds.example.test/p/2"),
    ("<item><link>javascript:void(0)</link><guid>http://feeds.example.test/p/3</guid></item>", None),
])
def test_rss_guid_is_the_page_only_as_a_permalink_url(item: str, link: str | None) -> None:
    [parsed] = parse_feed(rss(item), "application/rss+xml", FEED).entries
    assert parsed.link == link


def test_xml_base_and_the_feed_url_resolve_relative_links_in_content_and_enclosures() -> None:
    entry = ('<entry xml:base="http://other.test/a/"><id>urn:1</id><title type="html">A &amp;amp; &lt;b&gt;B&lt;/b&gt;'
             '</title><link href="p.html"/><content type="html">&lt;img src="i.png"&gt;</content>'
             '<link rel="enclosure" href="e.mp3" type="audio/mpeg"/></entry>')
    [parsed] = parse_feed(atom(entry), "application/atom+xml", FEED).entries
    assert parsed.link == "http://other.test/a/p.html" and parsed.title == "A & B"
    assert 'src="http://other.test/a/i.png"' in (parsed.content or "")
    assert [e.url for e in parsed.enclosures] == ["http://other.test/a/e.mp3"]
    [plain] = parse_feed(rss('<item><description>&lt;img src="/i.png"&gt;</description>'
                             '<enclosure url="x.jpg" type="image/jpeg" length="1"/></item>'), "", FEED).entries
    assert 'src="http://feeds.example.test/i.png"' in (plain.content or "")
    assert [e.url for e in plain.enclosures] == ["http://feeds.example.test/blog/x.jpg"]


def test_json_feed_content_attachments_and_relative_urls() -> None:
    body = (b'{"version": "https://jsonfeed.org/version/1.1", "items": ['
            b'{"id": 1, "content_text": "one\\n\\ntwo <b>",'
            b' "attachments": [{"url": "/a.mp3", "mime_type": "audio/mpeg"}]},'
            b'{"id": "2", "url": "p/2", "content_html": "<p><img src=\\"i.png\\"></p>"}]}')
    first, second = parse_feed(body, "application/feed+json", FEED).entries
    assert first.link is None and first.content == "<p>one</p><p>two &lt;b&gt;</p>"
    assert [e.url for e in first.enclosures] == ["http://feeds.example.test/a.mp3"]
    assert second.link == "http://feeds.example.test/blog/p/2"
    assert 'src="http://feeds.example.test/blog/i.png"' in (second.content or "")


def test_gbk_bytes_declared_utf8_are_read_as_gbk() -> None:
    body = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
            "<item><title>编码错误</title><description>正文</description></item></channel></rss>").encode("gbk")
    [parsed] = parse_feed(body, "application/rss+xml; charset=utf-8", FEED).entries
    assert parsed.title == "编码错误" and parsed.content == "正文"


def test_from_feed_keys_are_stable_and_fragment_safe() -> None:
    assert from_feed_url(FEED + "#x", "tag:a,2005:1/2 3") == FEED + "#tag%3Aa%2C2005%3A1%2F2%203"
    [entry] = parse_feed(rss("<item><title>t</title><description>d</description></item>"), "", FEED).entries
    assert entry_hash(entry) == entry_hash(parse_feed(rss("<item><title>t</title><description>d</description>"
                                                          "</item>"), "", FEED).entries[0])
    assert entry_hash(entry).startswith("sha1:")


@pytest.mark.parametrize("name", sorted(BAD_PICTURES))
def test_a_broken_picture_is_a_media_error_never_a_crash(name: str) -> None:
    with pytest.raises(MediaError) as raised:
        inspect_image(BAD_PICTURES[name][1])
    assert raised.value.kind in ("not_image", "too_large")


def test_jpeg_magic_followed_by_garbage_is_not_an_image() -> None:
    # Pillow's own open fails here: the format was never known (an UnboundLocalError before).
    with pytest.raises(MediaError, match="broken image"):
        inspect_image(b"\xff\xd8\xff\xe0" + b"\x13" * 200)


def test_any_exception_while_archiving_one_picture_is_that_picture_s(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    png = picture("PNG")
    web = FakeWeb({"https://c/ok.png": (200, png), "https://c/odd.png": (200, png + b"odd")})
    archive, stats = pipeline(tmp_path, web)
    real = inspect_image

    def flaky(body: bytes) -> Any:
        if body.endswith(b"odd"):
            raise RuntimeError("a plugin bug")
        return real(body)

    monkeypatch.setattr("crawler.pipelines.images.inspect_image", flaky)
    item = post('<p><img src="https://c/odd.png"></p><p><img src="https://c/ok.png"></p>')
    asyncio.run(archive.process_item(item))
    assert [m["url"] for m in item.media] == ["https://c/ok.png"]
    assert stats["images/failed/error"] == 1 and 'src="https://c/odd.png"' in item.body_html


def test_a_post_whose_pictures_cannot_be_handled_at_all_is_kept(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    archive, _ = pipeline(tmp_path, FakeWeb({}))
    archive.stats = stats = RunStats()

    def broken(html: str) -> list[str]:
        raise ValueError("unreadable body")

    monkeypatch.setattr("crawler.pipelines.images.image_urls", broken)
    item = post("<p>x</p>")
    assert asyncio.run(archive.process_item(item)) is item
    assert stats["source/page-src/error/images"] == 1 and stats["errors/total"] == 1
    assert stats.values["source/page-src/last_error"].startswith("images: ValueError: unreadable body")


def test_a_body_the_sanitiser_cannot_read_becomes_escaped_text(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(html: str) -> str:
        raise ValueError("no")

    monkeypatch.setattr("crawler.pipelines.sanitize.sanitise_html", broken)
    stats = RunStats()
    item = PostItem(source="s", url="http://a.test/1", role="original", title="t", text="a <script>\nb",
                    body_html="<script>x</script>")
    SanitizeHtmlPipeline(stats).process_item(item)
    assert item.body_html == "<p>a &lt;script&gt;</p><p>b</p>" and stats["source/s/error/sanitize"] == 1


def _never_received(reason: BaseException) -> ResponseNeverReceived:
    return ResponseNeverReceived([Failure(reason)])


@pytest.mark.parametrize(("error", "kind"), [
    (CannotResolveHostError("no such host"), "dns"),
    (DNSLookupError("no such host"), "dns"),
    (DownloadTimeoutError("took longer"), "timeout"),
    (TimeoutError("took longer"), "timeout"),
    (TCPTimedOutError(), "timeout"),
    (DownloadConnectionRefusedError("refused"), "connection_refused"),
    (ConnectionRefusedError(), "connection_refused"),
    (_never_received(ConnectionRefusedError()), "connection_refused"),
])
def test_scrapy_and_twisted_exception_classes_map_to_one_kind(error: BaseException, kind: str) -> None:
    assert fetch_error_kind(error)[0] == kind


def test_an_entry_of_pictures_only_is_content() -> None:
    [entry] = parse_feed(rss('<item><description>&lt;p&gt;&lt;img src="/a.png"&gt;&lt;/p&gt;</description></item>'),
                         "", FEED).entries
    assert entry.link is None and entry.has_content
    [empty] = parse_feed(rss("<item><description>&lt;p&gt; &lt;/p&gt;</description></item>"), "", FEED).entries
    assert not empty.has_content

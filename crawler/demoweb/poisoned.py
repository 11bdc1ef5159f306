"""Poisoned listings, broken pictures and a corpus of real-world feed shapes, on the broken host.

- ``/poisoned/feed.atom``, ``/poisoned/list.html``, ``/poisoned/qtt/outList`` (Qutoutiao's list
  API), ``/poisoned/zaker/channel/1`` (a ZAKER channel page): each listing's first entries are
  broken (a ``javascript:`` link, a ``urn:uuid:`` id, a URL no parser accepts, a missing link), then
  come ``GOOD_ARTICLES``, which every crawl must keep;
- ``/poisoned/article/N.html``: those articles, each with one picture of ``BAD_PICTURES`` (truncated,
  garbage after a JPEG or PNG magic, zero bytes, HTML as image/jpeg, 20,000 × 20,000 pixels);
- ``/corpus/NAME``: ``CORPUS`` feed documents in the shapes real feeds come in (RSS 0.91 to 2.0,
  Atom 0.3 and 1.0, JSON Feed 1.0 and 1.1, content-only entries, xml:base, relative links,
  enclosures, wrong declared encodings, HTML in titles, duplicate ids, entries without dates);
  ``/corpus/page/N.html`` are the pages their linked entries point at.

Every document is written here by hand; ``{base}`` is the broken host's origin.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

_HTML = "text/html; charset=utf-8"
POISONED = "/poisoned/"
CORPUS_PREFIX = "/corpus/"
POISONED_FEED = "broken:/poisoned/feed.atom"
POISONED_LIST = "broken:/poisoned/list.html"
POISONED_QTT_API = "broken:/poisoned/qtt/outList"
POISONED_ZAKER_SITE = "broken:/poisoned/zaker"
POISONED_ZAKER_CHANNEL = "1"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width: int, height: int, rows: bytes | None = None) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = rows if rows is not None else (b"\x00" + b"\x80\x40\x20" * width) * height
    chunks = _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(pixels)) + _chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


_GOOD_PNG = _png(40, 30)

# Picture name -> (Content-Type, body): each a way a CDN's answer is not the picture it claims to be.
BAD_PICTURES: dict[str, tuple[str, bytes]] = {
    "truncated.png": ("image/png", _GOOD_PNG[: len(_GOOD_PNG) // 2]),
    "garbage.jpg": ("image/jpeg", b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF garbage, not a JPEG" * 20),
    "garbage.png": ("image/png", b"\x89PNG\r\n\x1a\n" + b"no chunks here at all" * 20),
    "empty.jpg": ("image/jpeg", b""),
    "html.jpg": ("image/jpeg", "<!DOCTYPE html><title>404</title><p>图片不存在</p>".encode()),
    # 400 million pixels declared in 60 bytes of header: a pixel bomb (the IDAT is a token).
    "bomb.png": ("image/png", _png(20_000, 20_000, rows=b"\x00")),
}


@dataclass(frozen=True)
class GoodArticle:
    path: str  # on the broken host
    title: str
    picture: str  # the BAD_PICTURES name it shows


GOOD_ARTICLES: tuple[GoodArticle, ...] = tuple(
    GoodArticle(f"/poisoned/article/{n}.html", f"坏条目之后的第{n}篇文章", name)
    for n, name in enumerate(BAD_PICTURES, start=1)
)


def _article_page(article: GoodArticle, base: str) -> str:
    paragraphs = "".join(
        f"<p>这是第{article.path.rsplit('/', 1)[1].split('.')[0]}篇测试文章的第{i}段正文，"
        f"讲述一个坏条目不会拖累其他条目的故事，配图是{article.picture}。</p>" for i in range(1, 7))
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(article.title)}</title>'
            f'<meta name="author" content="测试"></head><body><article><h1>{escape(article.title)}</h1>'
            f'<p><img src="{base}/poisoned/img/{article.picture}" alt="配图"></p>{paragraphs}'
            "</article></body></html>\n")


def _poisoned_feed(base: str) -> str:
    good = "".join(
        f"<entry><id>tag:demo.test,2026:poisoned/{n}</id><title>{escape(a.title)}</title>"
        f'<link href="article/{n}.html"/><updated>2026-11-2{n % 8}T08:00:00+08:00</updated>'
        f"<summary>第{n}篇</summary></entry>"
        for n, a in enumerate(GOOD_ARTICLES, start=1))
    return ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
            f'xml:base="{base}/poisoned/"><title>Poisoned</title><id>tag:demo.test,2026:poisoned</id>'
            "<updated>2026-11-28T08:00:00Z</updated>"
            # No content, only a javascript: link and a urn id: nothing to keep, nothing to request.
            '<entry><id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id><title>JS only</title>'
            '<link href="javascript:alert(1)"/><updated>2026-11-28T08:00:00Z</updated></entry>'
            # A link no URL parser accepts.
            '<entry><id>tag:demo.test,2026:bad-ipv6</id><title>Bad host</title><link href="http://[::1"/>'
            "<updated>2026-11-28T08:00:00Z</updated></entry>"
            f"{good}</feed>\n")


def _poisoned_list(base: str) -> str:
    rows = "".join(f'<li><a href="{a.path}">{escape(a.title)}</a><span class="date">2026-11-22 08:0{n}</span></li>'
                   for n, a in enumerate(GOOD_ARTICLES, start=1))
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>列表</title></head><body><ul class="news">'
            '<li><a href="http://[::1/broken">网址坏了</a><span class="date">2026-11-22</span></li>'
            '<li><a href="javascript:void(0)">只有脚本</a></li>'
            f"{rows}</ul></body></html>\n")


def _poisoned_qtt(base: str) -> str:
    posts = [
        '{"id": 1, "title": "broken url", "url": "http://[::1/broken", "publish_time": "x"}',
        '{"id": 2, "title": "object url", "url": {"href": 1}}',
        *(f'{{"id": {n + 10}, "title": "{a.title}", "url": "{base}{a.path}?content_id={n}&key=k{n}", '
          f'"publish_time": {1795800000000 + n}}}' for n, a in enumerate(GOOD_ARTICLES, start=1)),
    ]
    return '{"code": 0, "message": "ok", "data": {"min_time": null, "data": [' + ", ".join(posts) + "]}}"


def _poisoned_zaker(base: str) -> str:
    netloc = base.removeprefix("http://")
    articles = [
        '{"title": "broken url", "url": "http://[::1/broken", "date": "11月22日"}',
        '{"title": "tag not a list", "url": "javascript:void(0)", "tag": "x"}',
        *(f'{{"title": "{a.title}", "url": "//{netloc}{a.path}", "date": "11月22日", "author_name": "测试"}}'
          for a in GOOD_ARTICLES),
    ]
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>ZAKER</title></head><body><script>'
            'window.WinPageData = {"data": {"article": [' + ", ".join(articles) + "]}};</script></body></html>\n")


# -- the feed corpus ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class CorpusFeed:
    content_type: str
    text: str  # with {base}
    encoding: str = "utf-8"  # the bytes sent (may differ from what the document declares)


_LONG = "。".join(f"第{i}句正文，足够长的内容让它成为一篇真正的文章" for i in range(1, 8)) + "。"

CORPUS: dict[str, CorpusFeed] = {
    "rss091.xml": CorpusFeed("application/rss+xml", (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="0.91"><channel><title>RSS 0.91</title>'
        "<link>{base}/</link><description>d</description><language>zh-cn</language>"
        "<item><title>RSS 0.91 linked</title><link>{base}/corpus/page/1.html</link>"
        "<description>摘要一</description></item>"
        "<item><title>RSS 0.91 description only</title><description>只有描述的条目，没有链接。" + _LONG
        + "</description></item></channel></rss>\n")),
    "rss092.xml": CorpusFeed("application/rss+xml", (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="0.92"><channel><title>RSS 0.92</title>'
        "<link>{base}/</link><description>d</description>"
        "<item><description>0.92 allows items with a description and nothing else: 无标题条目。</description></item>"
        '<item><description>&lt;p&gt;&lt;img src="/corpus/img/only.png"&gt;&lt;/p&gt;</description></item>'
        '<item><title>RSS 0.92 enclosure</title><description>播客一集</description>'
        '<enclosure url="{base}/corpus/audio/1.mp3" length="12345" type="audio/mpeg"/></item>'
        "</channel></rss>\n")),
    "rss10.rdf": CorpusFeed("application/rdf+xml", (
        '<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        '<channel rdf:about="{base}/corpus/rss10.rdf"><title>RSS 1.0</title><link>{base}/</link>'
        "<description>d</description></channel>"
        '<item rdf:about="urn:demo:rss10:1"><title>RSS 1.0 content encoded</title>'
        "<dc:date>2026-11-20T08:00:00+08:00</dc:date><dc:creator>王五</dc:creator>"
        "<content:encoded><![CDATA[<p>RSS 1.0 的全文在 content:encoded 里。" + _LONG
        + '</p><p><img src="/corpus/img/rss10.png"></p>]]></content:encoded></item>'
        '<item rdf:about="{base}/corpus/page/2.html"><title>RSS 1.0 linked</title>'
        "<link>{base}/corpus/page/2.html</link></item>"
        "</rdf:RDF>\n")),
    "rss20.xml": CorpusFeed("application/rss+xml", (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>RSS 2.0</title>'
        "<link>{base}/</link><description>d</description>"
        '<item><title>RSS 2.0 guid not a permalink</title><guid isPermaLink="false">{base}/corpus/not-a-page</guid>'
        "<pubDate>Fri, 20 Nov 2026 08:00:00 +0800</pubDate>"
        "<content:encoded><![CDATA[<p>guid 不是网页；正文在 content:encoded 里。" + _LONG
        + "</p>]]></content:encoded></item>"
        "<item><title>RSS 2.0 guid permalink</title><guid>{base}/corpus/page/3.html</guid>"
        "<description>摘要三</description></item>"
        "<item><title>RSS 2.0 relative guid</title><guid>12345</guid>"
        "<description>一个不是网址的 guid，只有描述。" + _LONG + "</description></item>"
        "<item><title>RSS 2.0 relative link</title><link>/corpus/page/4.html</link>"
        "<description>相对链接</description></item>"
        "<item><title>RSS 2.0 dead link</title><link>{base}/corpus/gone.html</link>"
        "<description>链接的网页已经不在了，条目自己的内容还在。" + _LONG + "</description></item>"
        '<item><title>RSS 2.0 image enclosure</title><guid isPermaLink="false">enc-1</guid>'
        "<description>只有一张图的条目</description>"
        '<enclosure url="/corpus/img/enclosure.png" length="100" type="image/png"/></item>'
        "</channel></rss>\n")),
    "atom03.xml": CorpusFeed("application/atom+xml", (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed version="0.3" xmlns="http://purl.org/atom/ns#">'
        "<title>Atom 0.3</title><modified>2026-11-20T08:00:00Z</modified>"
        "<entry><title>Atom 0.3 content</title><id>tag:demo.test,2005:atom03-1</id>"
        "<issued>2026-11-20T08:00:00Z</issued><modified>2026-11-20T08:00:00Z</modified>"
        '<content type="text/html" mode="escaped">&lt;p&gt;Atom 0.3 的正文。' + _LONG + "&lt;/p&gt;</content></entry>"
        '<entry><title>Atom 0.3 linked</title><link rel="alternate" type="text/html" '
        'href="{base}/corpus/page/5.html"/><id>tag:demo.test,2005:atom03-2</id>'
        "<issued>2026-11-20T09:00:00Z</issued></entry>"
        "</feed>\n")),
    "atom10.xml": CorpusFeed("application/atom+xml", (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        'xml:base="{base}/corpus/"><title>Atom 1.0</title><id>urn:uuid:feed-atom10</id>'
        "<updated>2026-11-20T08:00:00Z</updated>"
        "<entry><id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>"
        '<title type="html">Atom &lt;b&gt;HTML&lt;/b&gt; title &amp;amp; content only</title>'
        "<updated>2026-11-20T08:00:00Z</updated><author><name>李四</name></author>"
        '<content type="html">&lt;p&gt;只有 urn 作 id 的条目。' + _LONG
        + '&lt;img src="img/atom10.png"&gt;&lt;/p&gt;</content></entry>'
        '<entry xml:base="{base}/corpus/page/"><id>tag:demo.test,2005:atom10-xmlbase</id>'
        '<title>Atom xml:base link</title><link rel="alternate" href="6.html"/>'
        "<updated>2026-11-20T09:00:00Z</updated><summary>xml:base 解析的相对链接</summary></entry>"
        "<entry><id>tag:demo.test,2005:atom10-xhtml</id><title>Atom xhtml content</title>"
        '<updated>2026-11-20T10:00:00Z</updated><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">'
        "<p>XHTML 内容的条目。" + _LONG + "</p></div></content></entry>"
        "<entry><id>tag:demo.test,2005:atom10-text</id><title>Atom text content</title>"
        '<updated>2026-11-20T11:00:00Z</updated><content type="text">纯文本内容 &lt;不是标签&gt;。' + _LONG
        + "</content></entry>"
        "</feed>\n")),
    "json10.json": CorpusFeed("application/json", (
        '{{"version": "https://jsonfeed.org/version/1", "title": "JSON Feed 1.0", "home_page_url": "{base}/", '
        '"author": {{"name": "赵六"}}, "items": ['
        '{{"id": "j10-1", "title": "JSON 1.0 content_html", "content_html": "<p>JSON Feed 1.0 的全文。' + _LONG
        + '<img src=\\"/corpus/img/json10.png\\"></p>", "date_published": "2026-11-20T08:00:00+08:00"}}, '
        '{{"id": "j10-2", "title": "JSON 1.0 linked", "url": "{base}/corpus/page/7.html", '
        '"content_text": "摘要七"}}, '
        '{{"id": 3, "content_text": "JSON 1.0 条目没有标题，只有纯文本。' + _LONG + '"}}]}}\n')),
    "json11.json": CorpusFeed("application/feed+json", (
        '{{"version": "https://jsonfeed.org/version/1.1", "title": "JSON Feed 1.1", "language": "zh-CN", '
        '"authors": [{{"name": "钱七"}}], "items": ['
        '{{"id": "urn:uuid:json11-1", "title": "JSON 1.1 summary and image", "summary": "JSON Feed 1.1 摘要。'
        + _LONG + '", "image": "{base}/corpus/img/json11.png", "date_modified": "2026-11-21T08:00:00Z"}}, '
        '{{"id": "j11-2", "title": "JSON 1.1 attachment", "content_text": "一期播客",'
        ' "attachments": [{{"url": "{base}/corpus/audio/2.mp3", "mime_type": "audio/mpeg"}}]}}, '
        '{{"id": "j11-3", "title": "JSON 1.1 relative url", "url": "/corpus/page/8.html"}}]}}\n')),
    # The XML declares utf-8, the bytes are GBK (a CMS that never knew): feedparser falls back.
    "wrong-encoding.xml": CorpusFeed("application/rss+xml; charset=utf-8", (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>错误编码</title>'
        "<link>{base}/</link><description>d</description>"
        "<item><title>编码声明错误的条目</title><guid isPermaLink=\"false\">gbk-1</guid>"
        "<description>这段文字是 GBK 字节，声明却说是 UTF-8。" + _LONG + "</description></item>"
        "</channel></rss>\n"), encoding="gbk"),
    "duplicate-ids.xml": CorpusFeed("application/rss+xml", (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Duplicate ids</title>'
        "<link>{base}/</link><description>d</description>"
        '<item><title>Duplicate id one</title><guid isPermaLink="false">same</guid>'
        "<description>第一篇用了同一个 guid。" + _LONG + "</description></item>"
        '<item><title>Duplicate id two</title><guid isPermaLink="false">same</guid>'
        "<description>第二篇也用了同一个 guid，内容不同。" + _LONG + "</description></item>"
        "</channel></rss>\n")),
    "no-dates.xml": CorpusFeed("application/atom+xml", (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>No dates</title><id>tag:demo.test,2026:nodates</id>"
        "<entry><title>Undated entry</title><content>没有任何日期的条目，也没有 id。" + _LONG + "</content></entry>"
        "<entry><title>Undated linked</title><link href=\"{base}/corpus/page/9.html\"/></entry>"
        "</feed>\n")),
}

# Titles of the posts each corpus feed must leave in the index: a linked entry's post has its page's
# title ("语料页面N"), an entry without a page (or whose page is gone) keeps its own (a title-less one: "").
CORPUS_POSTS: dict[str, tuple[str, ...]] = {
    "rss091.xml": ("语料页面1", "RSS 0.91 description only"),
    "rss092.xml": ("", "", "RSS 0.92 enclosure"),  # a description only; a picture only
    "rss10.rdf": ("RSS 1.0 content encoded", "语料页面2"),
    "rss20.xml": ("RSS 2.0 guid not a permalink", "语料页面3", "RSS 2.0 relative guid", "语料页面4",
                  "RSS 2.0 dead link", "RSS 2.0 image enclosure"),
    "atom03.xml": ("Atom 0.3 content", "语料页面5"),
    "atom10.xml": ("Atom HTML title & content only", "语料页面6", "Atom xhtml content", "Atom text content"),
    "json10.json": ("JSON 1.0 content_html", "语料页面7", ""),
    "json11.json": ("JSON 1.1 summary and image", "JSON 1.1 attachment", "语料页面8"),
    "wrong-encoding.xml": ("编码声明错误的条目",),
    "duplicate-ids.xml": ("Duplicate id one", "Duplicate id two"),
    "no-dates.xml": ("Undated entry", "语料页面9"),
}


def _corpus_page(n: str) -> str:
    title = f"语料页面{n}"
    body = "".join(f"<p>语料第{n}页的第{i}段：一篇被订阅源链接的正式文章，正文在页面上。</p>" for i in range(1, 7))
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><article><h1>{title}</h1>{body}</article></body></html>\n")


def _evolving_feed(base: str, version: int) -> str:
    """One entry: first with no page (its content only), then, from version 2 on, linking its page."""
    link = f'<link href="{base}/corpus/page/10.html"/>' if version >= 2 else ""
    return ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            "<title>Evolving</title><id>tag:demo.test,2026:evolving</id><updated>2026-11-20T08:00:00Z</updated>"
            f"<entry><id>tag:demo.test,2026:evolving/1</id><title>An entry that gains its page</title>{link}"
            "<updated>2026-11-20T08:00:00Z</updated>"
            f"<content>订阅源里的版本：还没有网页的时候，条目的内容只在这里。{_LONG}</content></entry></feed>\n")


EVOLVING_FEED = "broken:/corpus/evolving.atom"


class PoisonedRoutes:
    def __init__(self, base_url: Callable[[str], str]) -> None:
        self._base_url = base_url
        self.evolving_version = 1  # what /corpus/evolving.atom serves; a test moves it on

    def answer(self, path: str, target: str) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """(status, headers, body) for a ``/poisoned/`` or ``/corpus/`` path on the broken host, else None."""
        base = self._base_url("broken")
        html = [("Content-Type", _HTML)]
        if path.startswith(CORPUS_PREFIX):
            name = path.removeprefix(CORPUS_PREFIX)
            if name == "evolving.atom":
                return 200, [("Content-Type", "application/atom+xml")], _evolving_feed(
                    base, self.evolving_version).encode()
            if name in CORPUS:
                feed = CORPUS[name]
                return 200, [("Content-Type", feed.content_type)], feed.text.format(base=base).encode(feed.encoding)
            if name.startswith("page/") and name.endswith(".html"):
                return 200, html, _corpus_page(name.removeprefix("page/").removesuffix(".html")).encode()
            if name.startswith("img/"):
                return 200, [("Content-Type", "image/png")], _GOOD_PNG
            if name.startswith("audio/"):
                return 200, [("Content-Type", "audio/mpeg")], b"ID3" + b"\x00" * 64
            return None
        if not path.startswith(POISONED):
            return None
        name = path.removeprefix(POISONED)
        if name == "feed.atom":
            return 200, [("Content-Type", "application/atom+xml; charset=utf-8")], _poisoned_feed(base).encode()
        if name == "list.html":
            return 200, html, _poisoned_list(base).encode()
        if name == "qtt/outList":
            return 200, [("Content-Type", "application/json; charset=utf-8")], _poisoned_qtt(base).encode()
        if name == f"zaker/channel/{POISONED_ZAKER_CHANNEL}":
            return 200, html, _poisoned_zaker(base).encode()
        if name.startswith("img/") and name.removeprefix("img/") in BAD_PICTURES:
            content_type, body = BAD_PICTURES[name.removeprefix("img/")]
            return 200, [("Content-Type", content_type)], body
        for article in GOOD_ARTICLES:
            if path == article.path:
                return 200, html, _article_page(article, base).encode()
        return None

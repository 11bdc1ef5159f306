"""Read a feed document into entries: RSS and Atom through feedparser, JSON Feed 1.x directly.

feedparser's released versions do not read JSON Feed (its support exists only on an unreleased
branch), and JSON Feed is plain JSON with a published schema, so it is mapped here field by field.

An entry's ``link`` is only ever an absolute http(s) URL of its page, or None: ``javascript:``,
``mailto:``, ``urn:``, ``tag:`` and other non-web links are dropped; relative ones are resolved against
their xml:base or the feed's own URL. An Atom ``id`` is an identifier, never a link (RFC 4287), and an
RSS ``guid`` is the page only when it is a permalink (feedparser's ``guidislink``: not
``isPermaLink="false"``) and an absolute http(s) URL as written. ``content`` is the entry's body HTML
(its content, else its summary), with relative links made absolute, so that an entry without a page
can still be archived as a post.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.html
from lxml import etree

from crawler.content.encoding import detect_encoding

_HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")


@dataclass(frozen=True, kw_only=True)
class Enclosure:
    url: str  # absolute http(s)
    media_type: str = ""  # as the feed declares it ("image/jpeg", "audio/mpeg", or "image" from media:content)


@dataclass(frozen=True, kw_only=True)
class FeedEntry:
    link: str | None  # the entry's page: an absolute http(s) URL, or None
    entry_id: str | None
    title: str | None = None  # plain text (an HTML title is reduced to its text)
    author: str | None = None
    summary: str | None = None
    content: str | None = None  # the body HTML the feed carries (content, else the summary), links absolute
    enclosures: tuple[Enclosure, ...] = ()
    published: str | None = None  # as written; the source's timezone applies to naive values
    updated: str | None = None

    @property
    def has_content(self) -> bool:
        """Something to archive without a page: a body (text or pictures), or an enclosure."""
        return bool(html_text(self.content or "").strip() or self.enclosures or image_sources(self.content or ""))


@dataclass(frozen=True, kw_only=True)
class ParsedFeed:
    format: str  # "rss20", "atom10", "json1", … or "" when unknown
    entries: list[FeedEntry] = field(default_factory=list)
    error: str | None = None  # set when the document is malformed (entries may still be recovered)


def http_url(value: Any, base: str = "") -> str | None:
    """``value`` resolved against ``base`` when it is (or becomes) an absolute http(s) URL with a host."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        url = urljoin(base, text) if base else text
        parts = urlsplit(url)
    except ValueError:  # "http://[bad" and the like
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def parse_feed(body: bytes, content_type: str = "", url: str = "") -> ParsedFeed:
    """Entries of a feed document fetched from ``url`` (the base of its relative links)."""
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if "json" in content_type.lower() or stripped.startswith(b"{"):
        return _parse_json_feed(stripped, url)
    # No content-location: feedparser would resolve every guid against it, and "123" would pass for a URL.
    headers = {"content-type": content_type or "application/xml"}
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False, resolve_relative_uris=True)
    if isinstance(parsed.get("bozo_exception"), feedparser.CharacterEncodingOverride):
        # The bytes are not in the declared encoding (GBK bytes declared UTF-8): feedparser's fallback is
        # cp1252, mojibake for Chinese; decode them as pages are (crawler.content.encoding) and parse again.
        text = body.decode(detect_encoding(body, content_type), errors="replace")
        parsed = feedparser.parse(text, response_headers=headers, sanitize_html=False, resolve_relative_uris=True)
    version = str(parsed.get("version") or "")
    entries = [_entry(entry, version, url) for entry in parsed.entries]
    error = None
    if parsed.get("bozo"):
        error = f"{parsed.get('bozo_exception')}"
    if not version and not entries and error is None:
        error = "not a feed (no RSS, Atom or JSON Feed document found)"
    return ParsedFeed(format=version, entries=entries, error=error)


def _entry(entry: Any, version: str, url: str) -> FeedEntry:
    base = _base(entry, url)
    entry_id = entry.get("id")
    return FeedEntry(
        link=_link(entry, version, base),
        entry_id=entry_id if isinstance(entry_id, str) and entry_id.strip() else None,
        title=_title(entry),
        author=entry.get("author"),
        summary=entry.get("summary"),
        content=_content(entry, base),
        enclosures=_enclosures(entry, base),
        # dict.get: feedparser's own get() maps a missing `updated` to `published`, with a warning.
        published=entry.get("published") or dict.get(entry, "updated"),
        updated=dict.get(entry, "updated"),
    )


def _base(entry: Any, url: str) -> str:
    """The entry's xml:base (feedparser keeps it on each text construct), resolved against the feed URL."""
    for key in ("content", "summary_detail", "title_detail"):
        detail = entry.get(key)
        detail = detail[0] if isinstance(detail, list) and detail else detail
        base = detail.get("base") if isinstance(detail, dict) else None
        if isinstance(base, str) and base:
            return urljoin(url, base) if url else base
    return url


def _link(entry: Any, version: str, base: str) -> str | None:
    links = [link for link in entry.get("links", []) if link.get("href")]
    for link in links:
        if link.get("rel", "alternate") == "alternate" and (found := http_url(link["href"], base)):
            return found
    raw = entry.get("link")
    entry_id = entry.get("id")
    from_guid = bool(entry.get("guidislink")) and raw == entry_id and not any(
        link.get("rel", "alternate") == "alternate" for link in links)
    if not from_guid:
        return None  # an alternate link that is no web page (javascript:, mailto:) is no page either
    if version.startswith("atom"):
        return None  # an Atom id is an identifier, never the entry's page
    # An RSS guid that is a permalink: its page when it is a URL as written (a relative "123" is no URL).
    return http_url(entry_id)


def _title(entry: Any) -> str | None:
    title = entry.get("title")
    if not isinstance(title, str):
        return None
    detail = entry.get("title_detail") or {}
    if detail.get("type") in _HTML_TYPES or "<" in title:
        title = html_text(title)
    return " ".join(title.split()) or None


def _content(entry: Any, base: str) -> str | None:
    """The richest body the entry carries: an HTML content, else a text content, else the summary."""
    candidates = [c for c in entry.get("content", []) if isinstance(c, dict) and str(c.get("value") or "").strip()]
    candidates.sort(key=lambda c: c.get("type") not in _HTML_TYPES)  # HTML first, then text
    chosen: dict[str, Any] | None = candidates[0] if candidates else entry.get("summary_detail")
    if not chosen or not str(chosen.get("value") or "").strip():
        summary = entry.get("summary")
        chosen = {"type": "text/html", "value": summary} if isinstance(summary, str) and summary.strip() else None
    if chosen is None:
        return None
    value = str(chosen["value"])
    if chosen.get("type") in ("text/plain", "text"):
        return _text_to_html(value)
    own_base = chosen.get("base")
    return absolute_links(value, urljoin(base, own_base) if isinstance(own_base, str) and own_base else base)


def _enclosures(entry: Any, base: str) -> tuple[Enclosure, ...]:
    found: dict[str, Enclosure] = {}
    for link in entry.get("links", []):
        if link.get("rel") == "enclosure" and (url := http_url(link.get("href"), base)):
            found.setdefault(url, Enclosure(url=url, media_type=str(link.get("type") or "")))
    for media in (*entry.get("media_content", []), *entry.get("media_thumbnail", [])):
        if isinstance(media, dict) and (url := http_url(media.get("url"), base)):
            kind = str(media.get("type") or media.get("medium") or ("image" if "width" in media else ""))
            found.setdefault(url, Enclosure(url=url, media_type=kind))
    return tuple(found.values())


def _text_to_html(text: str) -> str:
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)


def absolute_links(fragment: str, base: str) -> str:
    """An HTML fragment with its href and src resolved against ``base`` (unchanged when it cannot be read)."""
    if not base or "<" not in fragment:
        return fragment
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
        root.make_links_absolute(base, resolve_base_href=True, handle_failures="discard")
    except (etree.ParserError, ValueError):
        return fragment
    return (root.text or "") + "".join(lxml.html.tostring(child, encoding="unicode") for child in root)


def image_sources(fragment: str) -> list[str]:
    """The http(s) ``src`` of every <img> in an HTML fragment, in order."""
    if "<img" not in fragment.lower():
        return []
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return []
    return [src for img in root.iter("img") if (src := http_url(img.get("src")))]


_BLOCKS = frozenset({"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr",
                     "section", "article", "figure", "figcaption", "table", "ul", "ol", "dd", "dt", "hr"})


def html_text(fragment: str) -> str:
    """The text of an HTML fragment, one line per block; markup-free text comes back unescaped."""
    if "<" not in fragment:
        return html.unescape(fragment).strip()
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return html.unescape(fragment).strip()
    for bad in root.xpath(".//script|.//style"):
        bad.drop_tree()
    parts: list[str] = []
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag in _BLOCKS:
            parts.append("\n")
        if element is not root and element.text:
            parts.append(element.text)
        elif element is root and root.text:
            parts.append(root.text)
        if element is not root and element.tail:
            parts.append(element.tail)
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _parse_json_feed(body: bytes, url: str = "") -> ParsedFeed:
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return ParsedFeed(format="", error=f"invalid JSON Feed: {exc}")
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith("https://jsonfeed.org/"):
        return ParsedFeed(format="", error="not a JSON Feed (no jsonfeed.org version)")
    items = document.get("items")
    if not isinstance(items, list):
        return ParsedFeed(format="json1", error="JSON Feed without an items array")
    feed_author = _json_author(document)
    entries = []
    for item in items:
        if not isinstance(item, dict):
            continue
        content_html = _str(item.get("content_html"))
        content_text = _str(item.get("content_text"))
        summary = _str(item.get("summary"))
        if content_html:
            content: str | None = absolute_links(content_html, url)
        elif content_text:
            content = _text_to_html(content_text)
        else:
            content = _text_to_html(summary) if summary else None
        enclosures: dict[str, Enclosure] = {}
        for key in ("image", "banner_image"):
            if image := http_url(item.get(key), url):
                enclosures.setdefault(image, Enclosure(url=image, media_type="image"))
        for attachment in item.get("attachments") or [] if isinstance(item.get("attachments"), list) else []:
            if isinstance(attachment, dict) and (link := http_url(attachment.get("url"), url)):
                enclosures.setdefault(link, Enclosure(url=link, media_type=str(attachment.get("mime_type") or "")))
        entries.append(FeedEntry(
            link=http_url(item.get("url"), url) or http_url(item.get("external_url"), url),
            entry_id=str(item["id"]) if item.get("id") not in (None, "") else None,
            title=_title({"title": item["title"], "title_detail": {"type": "text/plain"}})
            if isinstance(item.get("title"), str) else None,
            author=_json_author(item) or feed_author,
            summary=summary or content_text,
            content=content,
            enclosures=tuple(enclosures.values()),
            published=_str(item.get("date_published")),
            updated=_str(item.get("date_modified")),
        ))
    return ParsedFeed(format="json1", entries=entries)


def _json_author(obj: dict[str, Any]) -> str | None:
    authors = obj.get("authors") or ([obj["author"]] if isinstance(obj.get("author"), dict) else [])
    for author in authors if isinstance(authors, list) else []:
        if isinstance(author, dict) and isinstance(author.get("name"), str):
            return str(author["name"])
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None

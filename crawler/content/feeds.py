"""Read a feed document into entries: RSS and Atom through feedparser, JSON Feed 1.x directly.

feedparser's released versions do not read JSON Feed (its support exists only on an unreleased
branch), and JSON Feed is plain JSON with a published schema, so it is mapped here field by field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import feedparser


@dataclass(frozen=True, kw_only=True)
class FeedEntry:
    link: str | None
    entry_id: str | None
    title: str | None = None
    author: str | None = None
    summary: str | None = None
    published: str | None = None  # as written; the source's timezone applies to naive values
    updated: str | None = None


@dataclass(frozen=True, kw_only=True)
class ParsedFeed:
    format: str  # "rss20", "atom10", "json1", … or "" when unknown
    entries: list[FeedEntry] = field(default_factory=list)
    error: str | None = None  # set when the document is malformed (entries may still be recovered)


def parse_feed(body: bytes, content_type: str = "") -> ParsedFeed:
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if "json" in content_type.lower() or stripped.startswith(b"{"):
        return _parse_json_feed(stripped)
    parsed = feedparser.parse(body, response_headers={"content-type": content_type or "application/xml"},
                              sanitize_html=False, resolve_relative_uris=False)
    entries = [
        FeedEntry(
            link=entry.get("link") or _alternate(entry) or _permalink(entry.get("id")),
            entry_id=entry.get("id"),
            title=entry.get("title"),
            author=entry.get("author"),
            summary=entry.get("summary"),
            # dict.get: feedparser's own get() maps a missing `updated` to `published`, with a warning.
            published=entry.get("published") or dict.get(entry, "updated"),
            updated=dict.get(entry, "updated"),
        )
        for entry in parsed.entries
    ]
    error = None
    if parsed.get("bozo"):
        error = f"{parsed.get('bozo_exception')}"
    if not parsed.get("version") and not entries and error is None:
        error = "not a feed (no RSS, Atom or JSON Feed document found)"
    return ParsedFeed(format=parsed.get("version") or "", entries=entries, error=error)


def _alternate(entry: Any) -> str | None:
    for link in entry.get("links", []):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return str(link["href"])
    return None


def _permalink(entry_id: Any) -> str | None:
    """An RSS guid is a permalink unless it says otherwise; feedparser keeps it only as the id."""
    return entry_id if isinstance(entry_id, str) and entry_id.startswith(("http://", "https://")) else None


def _parse_json_feed(body: bytes) -> ParsedFeed:
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
        url = item.get("url") or item.get("external_url")
        entries.append(FeedEntry(
            link=url if isinstance(url, str) else None,
            entry_id=str(item["id"]) if item.get("id") is not None else None,
            title=_str(item.get("title")),
            author=_json_author(item) or feed_author,
            summary=_str(item.get("summary")) or _str(item.get("content_text")),
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

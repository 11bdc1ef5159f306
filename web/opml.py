"""OPML both ways: /feeds.opml lists the published feeds for a reader to import, and
`feedarchiver import-opml` turns a reader's export into `feed` sources of a TOML config.

Readers (Miniflux, NetNewsWire, Inoreader, newsboat's converter) write one or more folder levels of
<outline> around <outline type="rss" xmlUrl=…>; folders become a source's categories (group, source,
channel, as in the config). A feed is known by its URL: one already configured, or twice in the file,
is added once.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlsplit

from lxml import etree

from crawler.errors import FeedArchiverError


class OpmlError(FeedArchiverError):
    """An OPML file that cannot be read, or a TOML file that cannot be added to."""


@dataclass(frozen=True)
class FeedLink:
    """One published feed: where it is, what it is called, the category path it belongs to."""

    url: str
    title: str
    folder: str  # the OPML folder it is listed in ("" for the top level)
    category: str  # "/group/source/channel"
    html_url: str | None = None


def feeds_opml(feeds: list[FeedLink], title: str, now: datetime | None = None) -> bytes:
    """One folder level: feeds in a folder per name, text = title, category = the path."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    etree.SubElement(head, "dateCreated").text = format_datetime(now or datetime.now(UTC), usegmt=True)
    body = etree.SubElement(root, "body")
    folders: dict[str, etree._Element] = {}
    for feed in feeds:
        parent = body
        if feed.folder:
            if feed.folder not in folders:
                folders[feed.folder] = etree.SubElement(body, "outline", text=feed.folder, title=feed.folder)
            parent = folders[feed.folder]
        outline = etree.SubElement(parent, "outline", type="rss", text=feed.title, title=feed.title,
                                   xmlUrl=feed.url)
        if feed.html_url:
            outline.set("htmlUrl", feed.html_url)
        if feed.category:
            outline.set("category", feed.category)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


@dataclass(frozen=True)
class ImportedFeed:
    name: str
    title: str
    url: str
    categories: tuple[str, ...]


@dataclass(frozen=True)
class ImportResult:
    toml: str  # the whole file: what was there, then the new sources
    added: list[ImportedFeed]
    duplicates: list[str]  # URLs already configured or listed twice


def _outlines(data: bytes) -> list[tuple[tuple[str, ...], etree._Element]]:
    """Every feed outline with the folder texts above it."""
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    except etree.XMLSyntaxError as exc:
        raise OpmlError(f"not an OPML file: {exc}") from None
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise OpmlError("not an OPML file: no <opml><body>")
    found: list[tuple[tuple[str, ...], etree._Element]] = []

    def walk(element: etree._Element, folders: tuple[str, ...]) -> None:
        for outline in element.iterfind("outline"):
            if outline.get("xmlUrl"):
                found.append((folders, outline))
            else:
                label = (outline.get("text") or outline.get("title") or "").strip()
                walk(outline, (*folders, label) if label else folders)

    walk(body, ())
    return found


def _name(title: str, url: str, taken: set[str]) -> str:
    """A source name (letters, digits, dashes): from the title when it is ASCII, else from the URL."""
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    if len(base) < 3:
        parts = urlsplit(url)
        host = parts.hostname or "feed"
        host = host.removeprefix("www.").removeprefix("rss.").removeprefix("feeds.")
        base = re.sub(r"[^a-z0-9]+", "-", f"{host} {parts.path}".lower()).strip("-")
        base = re.sub(r"-(xml|rss|atom|feed|json|index)$", "", base) or "feed"
    base = base[:48].strip("-")
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def _toml_string(value: str) -> str:
    # A JSON string is a TOML basic string (TOML accepts JSON's escapes, \uXXXX included).
    return json.dumps(value, ensure_ascii=False)


def import_opml(data: bytes, existing: str = "") -> ImportResult:
    """The TOML ``existing`` with a [sources.NAME] table (kind "feed") added per new feed of the OPML."""
    try:
        config = tomllib.loads(existing) if existing.strip() else {}
    except tomllib.TOMLDecodeError as exc:
        raise OpmlError(f"the config file is not valid TOML: {exc}") from None
    configured = config.get("sources", {})
    taken = set(configured)
    known = {url for table in configured.values() if isinstance(table, dict) for url in table.get("urls", [])}
    added: list[ImportedFeed] = []
    duplicates: list[str] = []
    for folders, outline in _outlines(data):
        url = (outline.get("xmlUrl") or "").strip()
        if urlsplit(url).scheme not in ("http", "https"):
            continue
        if url in known:
            duplicates.append(url)
            continue
        known.add(url)
        title = (outline.get("title") or outline.get("text") or "").strip() or url
        added.append(ImportedFeed(name=_name(title, url, taken), title=title, url=url, categories=folders[:3]))
    lines = [existing.rstrip("\n")] if existing.strip() else []
    if added:
        lines.append(f"\n# Imported from OPML on {datetime.now(UTC).date().isoformat()}.")
    for feed in added:
        lines += [f"\n[sources.{feed.name}]", 'kind = "feed"', f"title = {_toml_string(feed.title)}",
                  f"urls = [{_toml_string(feed.url)}]"]
        if feed.categories:
            lines.append("categories = [" + ", ".join(_toml_string(c) for c in feed.categories) + "]")
    text = "\n".join(lines).lstrip("\n") + "\n" if lines else ""
    return ImportResult(toml=text, added=added, duplicates=duplicates)

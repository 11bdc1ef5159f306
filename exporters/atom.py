"""Atom 1.0 (RFC 4287) documents with feedgen, rendered from entries (exporters/model.py).

all.atom has one entry per story (a cluster of near-duplicate posts, crawler/index/stories.py): the
representative's text, an alternate link to the original, rel=via links to every aggregator copy,
rel=related links to other publishers' copies, and the original publisher as atom:source. A feed per
source has one entry per post that source showed, each pointing to its story.

Entry ids are `tag:` URIs (RFC 4151) built from stored keys (a story's key is its founding post's),
so they survive re-exports, content edits and later copies joining a story. feedgen's add_entry()
prepends by default, so entries are appended in an explicit newest-first order.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from datetime import UTC, datetime

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

import crawler
from crawler.archive.snapshots import PREFIX as SNAPSHOT_PREFIX
from crawler.archive.snapshots import snapshot_url
from crawler.config import AppConfig
from crawler.content.text import clean_xml_text
from exporters.model import Entry, Publisher, tag_prefix
from exporters.plan import Page
from exporters.publish import as_uri, public_url

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml"
# Our one extension element, <fa:story>: the all.atom entry id of the story a per-source entry belongs to.
FA_NS = "https://github.com/feedarchiver/feedarchiver/ns/atom"
HISTORY_NS = "http://purl.org/syndication/history/1.0"  # RFC 5005
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class EntryLinksFeed(BaseExtension):  # type: ignore[misc]
    """Feed-level links feedgen refuses (its rel allow-list predates RFC 5005's prev-archive,
    next-archive and current, and WebSub's hub) and RFC 5005's <fh:archive/> marker."""

    def __init__(self) -> None:
        self.links: list[dict[str, str]] = []
        self.archive = False

    def extend_ns(self) -> dict[str, str]:
        return {"fa": FA_NS, "fh": HISTORY_NS}

    def extend_atom(self, feed: etree._Element) -> etree._Element:
        for attrs in self.links:
            # feedgen writes Atom elements unqualified under an xmlns="…Atom" attribute; so do we, or
            # lxml would invent an ns0: prefix for these.
            etree.SubElement(feed, "link", attrs)
        if self.archive:
            etree.SubElement(feed, f"{{{HISTORY_NS}}}archive")
        return feed


class EntryLinks(BaseEntryExtension):  # type: ignore[misc]
    """Writes an entry's <link> elements, its atom:source and its story pointer.

    feedgen 1.0's FeedEntry.atom_entry() rebinds its loop variable to the new element before reading
    rel and type from it, so every entry link comes out as a bare href (rel defaults to alternate):
    a "via" link would become a second alternate. This extension writes complete links instead.
    feedgen has no atom:source at all.
    """

    def __init__(self) -> None:
        self.links: list[dict[str, str]] = []
        self.source: tuple[Publisher, datetime] | None = None  # and when its text last changed
        self.story: str | None = None

    def add(self, href: str, rel: str, type: str = "text/html") -> None:
        href = as_uri(href)
        if not any(link["href"] == href for link in self.links):
            self.links.append({"href": href, "rel": rel, "type": type})

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        # Unqualified, as feedgen writes every Atom element (the feed's xmlns attribute scopes them).
        for attrs in self.links:
            etree.SubElement(entry, "link", attrs)
        if self.source is not None:
            publisher, updated = self.source
            source = etree.SubElement(entry, "source")
            etree.SubElement(source, "id").text = publisher.id
            etree.SubElement(source, "title").text = publisher.title
            etree.SubElement(source, "link", {"rel": "alternate", "type": "text/html", "href": as_uri(publisher.link)})
            etree.SubElement(source, "updated").text = updated.isoformat()
        if self.story is not None:
            etree.SubElement(entry, f"{{{FA_NS}}}story").text = self.story
        return entry


def render(page: Page, entries: Sequence[Entry], app: AppConfig) -> bytes:
    """One Atom document of a feed: these entries, in this order (newest first)."""
    relative = page.relative("atom")
    fg = FeedGenerator()
    fg.register_extension("links", EntryLinksFeed, EntryLinks, atom=True, rss=False)
    fg.id(f"{tag_prefix(app)}{page.feed.id_suffix}")
    fg.title(clean_xml_text(page.feed.title))
    fg.author({"name": app.settings.feed_title})
    fg.generator("feedarchiver", version=crawler.__version__)
    fg.language("zh-CN")
    # Every document names itself (RFC 4287 4.2.7.2): absolute under public_base_url, else relative to
    # itself, which a reader resolves against the URL it fetched.
    self_url = public_url(app, relative) or as_uri(posixpath.basename(relative))
    fg.links.links.append({"rel": "self", "href": self_url, "type": ATOM_TYPE})
    for rel, href in page.links:
        fg.links.links.append({"rel": rel, "href": href, "type": ATOM_TYPE})
    fg.links.archive = page.number is not None
    fg.updated(max((e.changed for e in entries), default=EPOCH))
    # Where snapshots are: `serve` answers DATA/../web/, relative to this document.
    snapshots = app.settings.replay_url or "../" * (relative.count("/") + 1) + SNAPSHOT_PREFIX
    for entry in entries:
        fe = fg.add_entry(order="append")
        fe.id(entry.id)
        fe.title(entry.title)
        fe.published(entry.published)
        fe.updated(entry.updated)
        if entry.author:
            fe.author({"name": entry.author})
        fe.content(entry.content_html, type="html")
        if entry.summary:
            fe.summary(entry.summary)
        fe.links.add(entry.alternate, "alternate")
        if entry.snapshot:
            # RFC 7089's rel="memento": the page as archived when it was crawled.
            fe.links.add(snapshot_url(snapshots, entry.snapshot), "memento")
        for rel, href in entry.links:
            fe.links.add(href, rel)
        if entry.publisher is not None:
            fe.links.source = (entry.publisher, entry.changed)
        fe.links.story = entry.story
        for category in entry.categories:
            fe.category(term=category)
    data: bytes = fg.atom_str(pretty=True)
    return data

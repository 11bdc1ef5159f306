"""Atom 1.0 (RFC 4287) feeds with feedgen: all stories, and one feed per source.

all.atom has one entry per story (a cluster of near-duplicate posts, crawler/index/stories.py): the
representative's text, an alternate link to the original, rel=via links to every aggregator copy,
rel=related links to other publishers' copies, and the original publisher as atom:source. A feed per
source has one entry per post that source showed, each pointing to its story.

Entry ids are `tag:` URIs (RFC 4151) built from stored keys (a story's key is its founding post's),
so they survive re-exports, content edits and later copies joining a story. feedgen's add_entry()
prepends by default, so entries are appended in an explicit newest-first order.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

import crawler
from crawler.config import AppConfig
from crawler.index import IndexStore, StoredPost, StoredStory
from crawler.text import clean_xml_text
from exporters.publish import write_atomic

logger = logging.getLogger(__name__)

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml"
# Our one extension element, <fa:story>: the all.atom entry id of the story a per-source entry belongs to.
FA_NS = "https://github.com/feedarchiver/feedarchiver/ns/atom"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class AtomSource:
    """What atom:source says about the feed (here: the publisher) an entry was first published in."""

    id: str
    title: str
    link: str
    updated: datetime


class EntryLinksFeed(BaseExtension):  # type: ignore[misc]
    """Feed half of the extension below (feedgen registers extensions in pairs)."""

    def extend_ns(self) -> dict[str, str]:
        return {"fa": FA_NS}


class EntryLinks(BaseEntryExtension):  # type: ignore[misc]
    """Writes an entry's <link> elements, its atom:source and its story pointer.

    feedgen 1.0's FeedEntry.atom_entry() rebinds its loop variable to the new element before reading
    rel and type from it, so every entry link comes out as a bare href (rel defaults to alternate):
    a "via" link would become a second alternate. This extension writes complete links instead.
    feedgen has no atom:source at all.
    """

    def __init__(self) -> None:
        self.links: list[dict[str, str]] = []
        self.source: AtomSource | None = None
        self.story: str | None = None

    def add(self, href: str, rel: str, type: str = "text/html") -> None:
        if not any(link["href"] == href for link in self.links):
            self.links.append({"href": href, "rel": rel, "type": type})

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        for attrs in self.links:
            etree.SubElement(entry, f"{{{ATOM_NS}}}link", attrs)
        if self.source is not None:
            source = etree.SubElement(entry, f"{{{ATOM_NS}}}source")
            etree.SubElement(source, f"{{{ATOM_NS}}}id").text = self.source.id
            etree.SubElement(source, f"{{{ATOM_NS}}}title").text = clean_xml_text(self.source.title)
            etree.SubElement(source, f"{{{ATOM_NS}}}link", {"rel": "alternate", "type": "text/html",
                                                            "href": self.source.link})
            etree.SubElement(source, f"{{{ATOM_NS}}}updated").text = self.source.updated.isoformat()
        if self.story is not None:
            etree.SubElement(entry, f"{{{FA_NS}}}story").text = self.story
        return entry


@dataclass(frozen=True, kw_only=True)
class AtomConfig:
    feeds_dir: Path
    length: int
    title: str
    tag_authority: str
    tag_date: str
    public_base_url: str = ""

    def tag(self, specific: str) -> str:
        return f"tag:{self.tag_authority},{self.tag_date}:{specific}"

    def public_url(self, relative: str) -> str | None:
        return f"{self.public_base_url.rstrip('/')}/feeds/{relative}" if self.public_base_url else None


@dataclass(frozen=True)
class ExportResult:
    written: list[Path]
    unchanged: list[Path]
    entries: int


class AtomExporter:
    """Writes DATA/feeds/all.atom and DATA/feeds/sources/NAME.atom from the index."""

    def __init__(self, store: IndexStore, config: AtomConfig, source_titles: dict[str, str] | None = None) -> None:
        self.store = store
        self.config = config
        self.source_titles = source_titles or {}

    @classmethod
    def from_app_config(cls, store: IndexStore, app: AppConfig, data_dir: Path) -> AtomExporter:
        s = app.settings
        config = AtomConfig(feeds_dir=data_dir / "feeds", length=s.feed_length, title=s.feed_title,
                            tag_authority=s.tag_authority, tag_date=s.tag_date, public_base_url=s.public_base_url)
        return cls(store, config, {name: src.title for name, src in app.sources.items()})

    def export(self) -> ExportResult:
        written: list[Path] = []
        unchanged: list[Path] = []
        documents: list[tuple[Path, bytes]] = []
        all_stories = self.store.stories(limit=self.config.length)
        documents.append((self.config.feeds_dir / "all.atom",
                          self.render(all_stories, "all.atom", self.config.title, self.config.tag("feeds/all"))))
        sources = sorted({s for s in self.store.source_health()} | set(self.source_titles))
        for name in sources:
            posts = self.store.posts(source=name, limit=self.config.length)
            if not posts:
                continue
            title = f"{self.config.title}: {self.source_titles.get(name, name)}"
            relative = f"sources/{name}.atom"
            documents.append((self.config.feeds_dir / relative,
                              self.render(posts, relative, title, self.config.tag(f"feeds/source/{name}"))))
        for path, data in documents:
            (written if write_atomic(path, data) else unchanged).append(path)
        logger.info("Exported %d Atom documents (%d changed)", len(documents), len(written))
        return ExportResult(written=written, unchanged=unchanged, entries=len(all_stories))

    def render(self, entries: Sequence[StoredPost | StoredStory], relative: str, title: str, feed_id: str) -> bytes:
        """One Atom document: a story entry per StoredStory, a post entry per StoredPost, in the given order."""
        fg = FeedGenerator()
        fg.register_extension("links", EntryLinksFeed, EntryLinks, atom=True, rss=False)
        fg.id(feed_id)
        fg.title(clean_xml_text(title))
        fg.author({"name": self.config.title})
        fg.generator("feedarchiver", version=crawler.__version__)
        fg.language("zh-CN")
        if self_url := self.config.public_url(relative):
            fg.link(href=self_url, rel="self", type=ATOM_TYPE)
        posts = [e.representative if isinstance(e, StoredStory) else e for e in entries]
        fg.updated(max((p.updated for p in posts), default=EPOCH))
        for entry in entries:  # already newest first
            if isinstance(entry, StoredStory):
                self._story_entry(fg, entry)
            else:
                self._post_entry(fg, entry)
        data: bytes = fg.atom_str(pretty=True)
        return data

    def _story_entry(self, fg: FeedGenerator, story: StoredStory) -> None:
        """The representative's text; links to the original, every aggregator copy and other publishers."""
        post = story.representative
        fe = self._entry(fg, post, self.config.tag(f"story/{story.key}"))
        alternate = post.alternate
        for member in story.posts:
            for url in member.urls:
                if url.url != alternate:
                    fe.links.add(url.url, "via" if url.role == "copy" else "related")
            if member.original_url and member.original_url != alternate:
                fe.links.add(member.original_url, "related")
        if post.has_original:
            site = urlsplit(alternate)
            fe.links.source = AtomSource(
                id=self.config.tag(f"publisher/{site.netloc}"), title=post.source_name or site.netloc,
                link=f"{site.scheme}://{site.netloc}/", updated=post.updated)

    def _post_entry(self, fg: FeedGenerator, post: StoredPost) -> None:
        """One source's post, with links to where it was copied and a pointer to its story."""
        fe = self._entry(fg, post, self.config.tag(f"story/{post.key}"))
        for url in dict.fromkeys(u.url for u in post.urls if u.role == "copy" and u.url != post.alternate):
            fe.links.add(url, "via")
        if post.story_key is not None:
            fe.links.story = self.config.tag(f"story/{post.story_key}")

    def _entry(self, fg: FeedGenerator, post: StoredPost, entry_id: str) -> FeedEntry:
        fe = fg.add_entry(order="append")
        fe.id(entry_id)
        fe.title(" ".join(clean_xml_text(post.title).split()) or "(untitled)")
        published = post.published or post.first_seen
        fe.published(published)
        fe.updated(max(post.updated, published))
        if post.author:
            fe.author({"name": clean_xml_text(post.author)})
        fe.content(post.body_html, type="html")
        summary = post.summary or " ".join(post.text.split())[:200]
        if summary:
            fe.summary(clean_xml_text(summary))
        fe.links.add(post.alternate, "alternate")
        for category in post.categories:
            fe.category(term=clean_xml_text(category))
        return fe

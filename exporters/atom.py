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

import hashlib
import json
import logging
import posixpath
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

import crawler
from crawler.archive.snapshots import PREFIX as SNAPSHOT_PREFIX
from crawler.archive.snapshots import snapshot_ref, snapshot_url
from crawler.config import AppConfig
from crawler.content.text import clean_xml_text
from crawler.index import ChangedScopes, EntryHead, FeedScope, IndexStore, StoredPost, StoredStory
from exporters.feedset import Feed, digest, main_feeds, newest_first
from exporters.publish import write_atomic

logger = logging.getLogger(__name__)

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml"
# Our one extension element, <fa:story>: the all.atom entry id of the story a per-source entry belongs to.
FA_NS = "https://github.com/feedarchiver/feedarchiver/ns/atom"
HISTORY_NS = "http://purl.org/syndication/history/1.0"  # RFC 5005
FORMAT_VERSION = 4  # bump when rendering changes, so the next export rewrites every document
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class AtomSource:
    """What atom:source says about the feed (here: the publisher) an entry was first published in."""

    id: str
    title: str
    link: str
    updated: datetime


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
        self.source: AtomSource | None = None
        self.story: str | None = None

    def add(self, href: str, rel: str, type: str = "text/html") -> None:
        if not any(link["href"] == href for link in self.links):
            self.links.append({"href": href, "rel": rel, "type": type})

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        # Unqualified, as feedgen writes every Atom element (the feed's xmlns attribute scopes them).
        for attrs in self.links:
            etree.SubElement(entry, "link", attrs)
        if self.source is not None:
            source = etree.SubElement(entry, "source")
            etree.SubElement(source, "id").text = self.source.id
            etree.SubElement(source, "title").text = clean_xml_text(self.source.title)
            etree.SubElement(source, "link", {"rel": "alternate", "type": "text/html",
                                                            "href": self.source.link})
            etree.SubElement(source, "updated").text = self.source.updated.isoformat()
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
    replay_url: str = ""  # snapshot links: BASE/TIMESTAMP/URL; empty: `serve`'s /web/, relative to the feed

    @property
    def fingerprint(self) -> str:
        """What every document's bytes depend on besides its entries."""
        return f"{self.length}|{self.tag_authority}|{self.tag_date}|{self.public_base_url}|{self.replay_url}"

    def snapshot_base(self, relative: str) -> str:
        """Where a document at DATA/feeds/``relative`` finds snapshots (`serve` answers DATA/../web/)."""
        return self.replay_url or "../" * (relative.count("/") + 1) + SNAPSHOT_PREFIX

    def tag(self, specific: str) -> str:
        return f"tag:{self.tag_authority},{self.tag_date}:{specific}"

    def public_url(self, relative: str) -> str | None:
        return f"{self.public_base_url.rstrip('/')}/feeds/{relative}" if self.public_base_url else None


@dataclass(frozen=True)
class AtomDocument:
    relative: str  # under DATA/feeds
    title: str
    id_suffix: str  # every page of one logical feed shares its atom:id
    scope: FeedScope  # all.atom and category feeds list stories; a source's feed its posts
    links: list[tuple[str, str]]
    archive: bool
    digest: str  # what its entries are: their heads (a subscription page) or the database's page digest
    heads: Callable[[], list[EntryHead]]  # its entries, newest first: read only when it is rendered

    def fingerprint(self, config: AtomConfig) -> str:
        """Everything the rendered document depends on: every change to an entry or its story stamps a
        new revision on it (crawler/index/sql.py `_stamp`), which moves the digest."""
        return hashlib.sha256(f"{FORMAT_VERSION}|{config.fingerprint}|{self.title}|{self.links}|{self.archive}|"
                              f"{self.scope}|{self.digest}".encode()).hexdigest()


def _segment(category: str) -> str:
    """A category as one safe path segment: no separators, dots or control characters to escape with."""
    cleaned = "".join("_" if ch in "/\\" or not ch.isprintable() else ch for ch in category).strip().strip(".")
    return cleaned[:80] or "_"


def _of_feed(relative: str, stem: str) -> bool:
    """Whether a document (path under DATA/feeds) is the subscription document or an archive page of a feed."""
    if relative == f"{stem}.atom":
        return True
    page = relative.removeprefix(f"archive/{stem}/")
    return page != relative and page.removesuffix(".atom").isdigit()


def category_levels(source_categories: dict[str, tuple[str, ...]]) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Each category level (group; group/source; group/source/channel) with the sources under it, from
    the configured categories: a post's own category list is the union over its sightings, which no
    longer says which level is which."""
    found: dict[tuple[str, ...], set[str]] = {}
    for source, categories in source_categories.items():
        triple = categories[:3]
        for level in range(1, len(triple) + 1):
            found.setdefault(triple[:level], set()).add(source)
    return {path: tuple(sorted(sources)) for path, sources in sorted(found.items())}


@dataclass(frozen=True)
class ExportResult:
    written: list[Path]
    unchanged: list[Path]
    entries: int


class AtomExporter:
    """Writes DATA/feeds/all.atom, one feed per source and per category level, and their archives."""

    def __init__(self, store: IndexStore, config: AtomConfig, source_titles: dict[str, str] | None = None,
                 source_categories: dict[str, tuple[str, ...]] | None = None) -> None:
        self.store = store
        self.config = config
        self.source_titles = source_titles or {}
        self.source_categories = source_categories or {}

    @classmethod
    def from_app_config(cls, store: IndexStore, app: AppConfig, data_dir: Path) -> AtomExporter:
        s = app.settings
        config = AtomConfig(feeds_dir=data_dir / "feeds", length=s.feed_length, title=s.feed_title,
                            tag_authority=s.tag_authority, tag_date=s.tag_date, public_base_url=s.public_base_url,
                            replay_url=s.replay_url)
        return cls(store, config, {name: src.title for name, src in app.sources.items()},
                   {name: src.categories for name, src in app.sources.items()})

    def export(self, changed: ChangedScopes | None = None) -> ExportResult:
        """Every document: all stories, each source, each category level; each paged into RFC 5005
        archives. The database lays the feeds out and digests their pages; a document whose fingerprint
        did not change since the last export (feeds/.export-state.json) is neither loaded nor rendered.
        Given what changed since that export (with the same configuration), a feed none of whose entries
        changed is not even laid out: its documents stand as they are."""
        state_path = self.config.feeds_dir / ".export-state.json"
        try:
            previous: dict[str, str] = json.loads(state_path.read_text("utf-8"))
        except (OSError, ValueError):
            previous = {}
        if not previous:
            changed = None
        state: dict[str, str] = {}
        unchanged: list[Path] = []
        feeds = main_feeds(self.store, self.config.title, self.source_titles)
        for levels, sources in category_levels(self.source_categories).items():
            feeds.append(Feed("categories/" + "/".join(_segment(c) for c in levels),
                              f"{self.config.title}: {' / '.join(levels)}",
                              "feeds/category/" + "/".join(quote(c, safe="") for c in levels),
                              FeedScope(kind="story", sources=sources)))
        documents: list[AtomDocument] = []
        total: int | None = None
        for stem, title, id_suffix, scope in ((f.stem, f.title, f.id_suffix, f.scope) for f in feeds):
            if changed is not None and not changed.affects(scope) and f"{stem}.atom" in previous:
                kept = {rel: fp for rel, fp in previous.items() if _of_feed(rel, stem)}
                state.update(kept)
                unchanged += [self.config.feeds_dir / rel for rel in kept]
                continue
            count, docs = self._paged(stem, title, id_suffix, scope)
            total = count if stem == "all" else total
            documents += docs
        written: list[Path] = []
        for doc in documents:
            path = self.config.feeds_dir / doc.relative
            state[doc.relative] = doc.fingerprint(self.config)
            if previous.get(doc.relative) == state[doc.relative] and path.exists():
                unchanged.append(path)
                continue
            ids = [head.id for head in doc.heads()]
            entries: Sequence[StoredPost | StoredStory] = (
                self.store.load_stories(ids) if doc.scope.kind == "story" else self.store.load_posts(ids))
            data = self.render(entries, doc.relative, doc.title, self.config.tag(doc.id_suffix),
                               links=doc.links, archive=doc.archive)
            (written if write_atomic(path, data) else unchanged).append(path)
        for stale in set(previous) - set(state):  # e.g. an archive page of a story merged away
            (self.config.feeds_dir / stale).unlink(missing_ok=True)
        write_atomic(state_path, json.dumps(state, sort_keys=True, indent=0).encode("utf-8"))
        logger.info("Exported %d Atom documents (%d changed)", len(documents), len(written))
        return ExportResult(written=written, unchanged=unchanged,
                            entries=self.store.count_stories() if total is None else total)

    def _paged(self, stem: str, title: str, id_suffix: str, scope: FeedScope) -> tuple[int, list[AtomDocument]]:
        """The subscription document (the newest `length` entries, by when they were first seen) and
        the complete pages before it as archive documents, oldest first, linked both ways (RFC 5005).
        Pages are cut in first-seen order so an archive page never changes when new stories arrive.
        No documents for a feed with no entries (a category no source has shown anything in yet)."""
        length = self.config.length
        total, digests = self.store.feed_pages(scope, length)
        if not total and scope != FeedScope(kind="story"):
            return 0, []
        pages = total // length if total > length else 0
        current = f"{stem}.atom"
        newest = newest_first(self.store.feed_newest(scope, length))

        def href(target: str, start: str) -> str:
            return self.config.public_url(target) or posixpath.relpath(target, posixpath.dirname(start) or ".")

        def page(k: int) -> str:
            return f"archive/{stem}/{k}.atom"

        # One changed archive page is read by itself; from the second on, the whole feed in one query
        # (each page query sorts the whole scope: a full export would otherwise cost pages × entries).
        read: list[int] = []
        everything: list[EntryHead] = []

        def archived(k: int) -> Callable[[], list[EntryHead]]:
            def heads() -> list[EntryHead]:
                read.append(k)
                if len(read) == 1:
                    return newest_first(self.store.feed_page(scope, length, k - 1))
                if not everything:
                    everything.extend(self.store.feed_page(scope, total, 0))
                return newest_first(everything[(k - 1) * length:k * length])
            return heads

        links = [("prev-archive", href(page(pages), current))] if pages else []
        docs = [AtomDocument(current, title, id_suffix, scope, links, archive=False, digest=digest(newest),
                             heads=lambda: newest)]
        for k in range(1, pages + 1):
            rel = page(k)
            links = [("current", href(current, rel))]
            if k > 1:
                links.append(("prev-archive", href(page(k - 1), rel)))
            if k < pages:
                links.append(("next-archive", href(page(k + 1), rel)))
            docs.append(AtomDocument(rel, title, id_suffix, scope, links, archive=True, digest=digests[k - 1],
                                     heads=archived(k)))
        return total, docs

    def render(self, entries: Sequence[StoredPost | StoredStory], relative: str, title: str, feed_id: str,
               links: Sequence[tuple[str, str]] = (), archive: bool = False) -> bytes:
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
        for rel, href in links:
            fg.links.links.append({"rel": rel, "href": href, "type": ATOM_TYPE})
        fg.links.archive = archive
        posts = [e.representative if isinstance(e, StoredStory) else e for e in entries]
        fg.updated(max((p.updated for p in posts), default=EPOCH))
        snapshots = self.config.snapshot_base(relative)
        for entry in entries:  # already newest first
            if isinstance(entry, StoredStory):
                self._story_entry(fg, entry, snapshots)
            else:
                self._post_entry(fg, entry, snapshots)
        data: bytes = fg.atom_str(pretty=True)
        return data

    def _story_entry(self, fg: FeedGenerator, story: StoredStory, snapshots: str) -> None:
        """The representative's text; links to the original, every aggregator copy and other publishers."""
        post = story.representative
        fe = self._entry(fg, post, self.config.tag(f"story/{story.key}"), snapshots)
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

    def _post_entry(self, fg: FeedGenerator, post: StoredPost, snapshots: str) -> None:
        """One source's post, with links to where it was copied and a pointer to its story."""
        fe = self._entry(fg, post, self.config.tag(f"story/{post.key}"), snapshots)
        for url in dict.fromkeys(u.url for u in post.urls if u.role == "copy" and u.url != post.alternate):
            fe.links.add(url, "via")
        if post.story_key is not None:
            fe.links.story = self.config.tag(f"story/{post.story_key}")

    def _entry(self, fg: FeedGenerator, post: StoredPost, entry_id: str, snapshots: str) -> FeedEntry:
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
        if snapshot := snapshot_ref(post.captures, post.alternate):
            # RFC 7089's rel="memento": the page as archived when it was crawled.
            fe.links.add(snapshot_url(snapshots, snapshot), "memento")
        for category in post.categories:
            fe.category(term=clean_xml_text(category))
        return fe

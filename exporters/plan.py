"""Which documents an export renders, for every format, and the one state file that remembers them.

A feed is a scope of the index (every story, a category's stories, a source's posts) listed in the
order its entries were first seen in it. The database lays it out (crawler/index/sql.py `feed_pages`):
the planner reads the *heads* (keys, dates, revisions; no text) of a subscription page's entries and a
digest of every RFC 5005 archive page, and loads in full only the entries of documents that changed.
Hexo posts are one per story, fingerprinted by the story's revision.

DATA/feeds/.export-state.json holds the index revision and configuration of the last export and a
fingerprint of every document it left (path under DATA -> fingerprint). With the same configuration,
only feeds with entries stamped past that revision are laid out and only stories stamped since get
their Hexo post rendered. Otherwise every feed is laid out and every story's post fingerprinted, and a
document whose fingerprint held is not loaded; without a state (missing, damaged, or from an older
version) every document is rendered. Either way a file whose bytes are unchanged is not rewritten.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from crawler.config import AppConfig
from crawler.index import EntryHead, FeedReader, FeedScope
from exporters.publish import as_uri, public_url, write_atomic

STATE_FILE = "feeds/.export-state.json"  # under DATA; a dot file, so never published
STATE_FORMAT = 1
# What exports before this planner left: removed by the first export that writes STATE_FILE.
OLD_STATE_FILES = ("feeds/.export-state-index.json", "feeds/.export-state-formats.json", "hexo/.export-state.json")
FORMAT_VERSION = 6  # bump when any rendering changes, so the next export renders every document again
HEXO_POSTS = "hexo/_posts"  # under DATA
MAIN_FORMATS = ("atom", "json", "rss")  # of all and each source; category feeds and archive pages are Atom only


@dataclass(frozen=True)
class Feed:
    """One logical feed: where its documents go, its title and atom:id, and what it lists."""

    stem: str  # path under DATA/feeds without extension: "all", "sources/NAME"
    title: str
    id_suffix: str  # the feed's tag: specific part, e.g. "feeds/all"
    scope: FeedScope
    formats: tuple[str, ...] = ("atom",)


@dataclass(frozen=True, kw_only=True)
class Page:
    """One document of a feed: its subscription document (the newest entries) or an archive page."""

    feed: Feed
    number: int | None  # archive/STEM/N.atom, oldest first from 1; None: the subscription document
    links: tuple[tuple[str, str], ...]  # RFC 5005 (rel, href)
    digest: str  # what its entries are: their heads (a subscription page) or the database's page digest
    heads: Callable[[], list[EntryHead]]  # its entries, newest first: read only when it is rendered

    def relative(self, extension: str) -> str:
        """Its path under DATA/feeds in one format."""
        return _document(self.feed.stem, self.number, extension)

    @property
    def formats(self) -> tuple[str, ...]:
        return self.feed.formats if self.number is None else ("atom",)


@dataclass
class Plan:
    """What an export renders, leaves and deletes; `documents` is the state it leaves behind."""

    pages: list[tuple[Page, list[str]]] = field(default_factory=list)  # with the formats to render
    posts: list[EntryHead] = field(default_factory=list)  # stories whose Hexo post is rendered
    unchanged: list[str] = field(default_factory=list)  # paths under DATA, left as they are
    gone: list[str] = field(default_factory=list)  # paths under DATA to delete
    documents: dict[str, str] = field(default_factory=dict)
    stories: int | None = None  # all's entries, when it was laid out

    def needs(self, path: str, fingerprint: str, known: dict[str, str], data_dir: Path) -> bool:
        """Records a document; whether it must be rendered (its fingerprint moved, or its file is gone)."""
        self.documents[path] = fingerprint
        if known.get(path) == fingerprint and (data_dir / path).exists():
            self.unchanged.append(path)
            return False
        return True


@dataclass(frozen=True)
class State:
    revision: int | None
    config: str
    documents: dict[str, str]

    @classmethod
    def load(cls, data_dir: Path) -> State | None:
        """None when missing, damaged or written before this planner: a full check follows."""
        try:
            state = json.loads((data_dir / STATE_FILE).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            return None
        documents = state.get("documents")
        revision = state.get("revision")
        return cls(revision if isinstance(revision, int) else None, str(state.get("config", "")),
                   {str(k): str(v) for k, v in documents.items()} if isinstance(documents, dict) else {})

    def save(self, data_dir: Path) -> None:
        state = {"format": STATE_FORMAT, "revision": self.revision, "config": self.config,
                 "documents": self.documents}
        write_atomic(data_dir / STATE_FILE, json.dumps(state, sort_keys=True, indent=0).encode("utf-8"))
        for old in OLD_STATE_FILES:
            (data_dir / old).unlink(missing_ok=True)


def config_fingerprint(app: AppConfig) -> str:
    """Whether what changed since the last export says what to render: only with the same configuration."""
    return _hash(f"{FORMAT_VERSION}|{app.settings!r}|{sorted(app.sources.items())!r}")  # new renderings too


def _shown(app: AppConfig) -> str:
    """The settings documents show (a renderer reading another must add it): a change to any other, a
    crawl's or the daemon's, lays every feed out again but renders nothing."""
    s = app.settings
    return repr((FORMAT_VERSION, s.feed_length, s.feed_title, s.tag_authority, s.tag_date, s.public_base_url,
                 s.replay_url, s.websub_hub, s.hexo_image_proxy, s.media_url))


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]  # change detection, not security: short keeps it small


def newest_first(heads: Iterable[EntryHead]) -> list[EntryHead]:
    """How a document lists its entries: by publication date (else first sighting), newest first."""
    return sorted(heads, key=lambda h: (h.published or h.first_seen, h.key), reverse=True)


def _segment(category: str) -> str:
    """A category as one safe path segment: no separators, dots or control characters to escape with."""
    cleaned = "".join("_" if ch in "/\\" or not ch.isprintable() else ch for ch in category).strip().strip(".")
    return cleaned[:80] or "_"


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


def feeds(store: FeedReader, app: AppConfig) -> list[Feed]:
    """all (one entry per story), one feed per source that has posts, one per category level."""
    title = app.settings.feed_title
    found = [Feed("all", title, "feeds/all", FeedScope(kind="story"), MAIN_FORMATS)]
    for name in store.feed_sources():
        source = app.sources.get(name)
        found.append(Feed(f"sources/{name}", f"{title}: {source.title if source else name}", f"feeds/source/{name}",
                          FeedScope(kind="post", sources=(name,)), MAIN_FORMATS))
    for levels, sources in category_levels({n: s.categories for n, s in app.sources.items()}).items():
        found.append(Feed("categories/" + "/".join(_segment(c) for c in levels), f"{title}: {' / '.join(levels)}",
                          "feeds/category/" + "/".join(quote(c, safe="") for c in levels),
                          FeedScope(kind="story", sources=sources)))
    return found


def _owner(path: str) -> str:
    """The feed stem a document belongs to (its subscription document or an archive page), or HEXO_POSTS."""
    if path.startswith(f"{HEXO_POSTS}/"):
        return HEXO_POSTS
    relative = path.removeprefix("feeds/")
    if relative.startswith("archive/"):
        return relative.removeprefix("archive/").rsplit("/", 1)[0]
    return relative.rsplit(".", 1)[0]


def hexo_post(key: str) -> str:
    """A story's Hexo post, under DATA."""
    return f"{HEXO_POSTS}/{key[:16]}.md"


def plan(store: FeedReader, app: AppConfig, data_dir: Path, previous: State | None, since: int | None) -> Plan:
    """Every document to render: ``since`` is the index revision of the last export with the same
    configuration (None: lay out every feed and fingerprint every story)."""
    known = previous.documents if previous else {}
    by_owner: dict[str, dict[str, str]] = defaultdict(dict)
    for path, fingerprint in known.items():
        by_owner[_owner(path)][path] = fingerprint
    result = Plan()
    changed = store.changed_since(since) if since is not None else None
    settings = _shown(app)
    for feed in feeds(store, app):
        kept = by_owner.get(feed.stem, {})
        if changed is not None and not changed.affects(feed.scope) and f"feeds/{feed.stem}.atom" in kept:
            result.documents.update(kept)
            result.unchanged += kept
            continue
        total, pages = layout(store, app, feed)
        result.stories = total if feed.stem == "all" else result.stories
        for page in pages:
            todo = [extension for extension in page.formats if result.needs(
                f"feeds/{page.relative(extension)}", _hash(f"{settings}|{extension}|{feed}|{page.links}|{page.digest}"),
                known, data_dir)]
            if todo:
                result.pages.append((page, todo))
    posts = by_owner.get(HEXO_POSTS, {})
    if app.settings.hexo:
        _plan_hexo(store, app, data_dir, result, posts, since)
    else:  # switched off: its posts are left alone
        result.documents.update(posts)
    # e.g. an archive page or Hexo post of a story merged away
    result.gone += sorted(set(known) - set(result.documents))
    return result


def _plan_hexo(store: FeedReader, app: AppConfig, data_dir: Path, result: Plan, known: dict[str, str],
               since: int | None) -> None:
    """The blog keeps every story (one post each, near-duplicates included), not just a feed's length."""
    if since is not None:
        result.documents.update(known)
    settings = _hash(f"{_shown(app)}|{sorted((n, s.title) for n, s in app.sources.items())}")
    for head in store.story_heads(changed_since=since):
        if result.needs(hexo_post(head.key), _hash(f"{settings}|{head.revision}"), known, data_dir):
            result.posts.append(head)
    for key in store.stories_gone(since=since or 0):  # merged into another: its post would be a duplicate
        path = hexo_post(key)
        result.documents.pop(path, None)
        if path not in known:  # a known one is gone from the documents: deleted with the others
            result.gone.append(path)


def layout(store: FeedReader, app: AppConfig, feed: Feed) -> tuple[int, list[Page]]:
    """The subscription document (the newest `feed_length` entries, by when they were first seen) and
    the complete pages before it as archive documents, oldest first, linked both ways (RFC 5005).
    Pages are cut in first-seen order so an archive page never changes when new stories arrive.
    No documents for a feed with no entries (a category no source has shown anything in yet)."""
    length, scope = app.settings.feed_length, feed.scope
    total, digests = store.feed_pages(scope, length)
    if not total and scope != FeedScope(kind="story"):
        return 0, []
    count = total // length if total > length else 0
    newest = newest_first(store.feed_newest(scope, length))

    def href(target: int | None, start: int | None) -> str:
        path, origin = _document(feed.stem, target), _document(feed.stem, start)
        return public_url(app, path) or as_uri(posixpath.relpath(path, posixpath.dirname(origin) or "."))

    # One changed archive page is read by itself; from the second on, the whole feed in one query
    # (each page query sorts the whole scope: a full export would otherwise cost pages × entries).
    read: list[int] = []
    everything: list[EntryHead] = []

    def archived(k: int) -> Callable[[], list[EntryHead]]:
        def heads() -> list[EntryHead]:
            read.append(k)
            if len(read) == 1:
                return newest_first(store.feed_page(scope, length, k - 1))
            if not everything:
                everything.extend(store.feed_page(scope, total, 0))
            return newest_first(everything[(k - 1) * length:k * length])
        return heads

    links = (("prev-archive", href(count, None)),) if count else ()
    pages = [Page(feed=feed, number=None, links=links, digest=digest(newest), heads=lambda: newest)]
    for k in range(1, count + 1):
        around = [("current", None), *([("prev-archive", k - 1)] if k > 1 else []),
                  *([("next-archive", k + 1)] if k < count else [])]
        pages.append(Page(feed=feed, number=k, links=tuple((rel, href(n, k)) for rel, n in around),
                          digest=digests[k - 1], heads=archived(k)))
    return total, pages


def _document(stem: str, number: int | None, extension: str = "atom") -> str:
    """A feed's document under DATA/feeds: its subscription document, or archive page ``number``."""
    return f"{stem}.{extension}" if number is None else f"archive/{stem}/{number}.{extension}"


def digest(heads: Sequence[EntryHead]) -> str:
    return "|".join(f"{h.key}:{h.id}:{h.revision}" for h in heads)

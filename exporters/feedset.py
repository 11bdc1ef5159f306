"""Which feed documents an export writes, and which posts go in each: shared by every format.

A feed is a scope of the index (every story, a category's stories, a source's posts) listed in the
order its entries were first seen in it. The database lays it out (crawler/index/sql.py `feed_pages`):
an export reads the *heads* (keys, dates, revisions; no text) of a subscription page's entries and a
digest of every archive page, and loads in full only the entries of documents that changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from crawler.config import AppConfig
from crawler.index import ChangedScopes, EntryHead, FeedScope, IndexStore
from exporters.model import Entry, entry_for, entry_for_story


@dataclass(frozen=True, kw_only=True)
class FeedSpec:
    stem: str  # path under DATA/feeds without extension: "all", "sources/NAME"
    title: str
    id_suffix: str  # the feed's tag: specific part, e.g. "feeds/all"
    entries: list[Entry]


def newest_first(heads: Iterable[EntryHead]) -> list[EntryHead]:
    """How a document lists its entries: by publication date (else first sighting), newest first."""
    return sorted(heads, key=lambda h: (h.published or h.first_seen, h.key), reverse=True)


def digest(heads: Sequence[EntryHead]) -> str:
    return "|".join(f"{h.key}:{h.id}:{h.revision}" for h in heads)


@dataclass(frozen=True)
class Feed:
    """One logical feed: where its documents go, its title and atom:id, and what it lists."""

    stem: str  # path under DATA/feeds without extension: "all", "sources/NAME"
    title: str
    id_suffix: str  # the feed's tag: specific part, e.g. "feeds/all"
    scope: FeedScope


def main_feeds(store: IndexStore, feed_title: str, source_titles: dict[str, str]) -> list[Feed]:
    """all (one entry per story) and one feed per source that has posts (every format has these)."""
    feeds = [Feed("all", feed_title, "feeds/all", FeedScope(kind="story"))]
    for name in store.feed_sources():
        feeds.append(Feed(f"sources/{name}", f"{feed_title}: {source_titles.get(name, name)}",
                          f"feeds/source/{name}", FeedScope(kind="post", sources=(name,))))
    return feeds


@dataclass(frozen=True, kw_only=True)
class FeedPlan:
    """A subscription document before its entries are loaded: what decides whether it must be rendered."""

    stem: str
    title: str
    id_suffix: str
    kind: Literal["story", "post"]
    heads: list[EntryHead]  # newest first

    def fingerprint(self, app: AppConfig) -> str:
        """Its heads' revisions and every setting (a rendering may show any of them)."""
        return hashlib.sha256(f"{self.title}|{self.id_suffix}|{self.kind}|{app.settings!r}|"
                              f"{digest(self.heads)}".encode()).hexdigest()

    def spec(self, store: IndexStore, app: AppConfig) -> FeedSpec:
        ids, prefix = [h.id for h in self.heads], tag_prefix(app)
        entries = ([entry_for_story(story, prefix) for story in store.load_stories(ids)] if self.kind == "story"
                   else [entry_for(post, prefix) for post in store.load_posts(ids)])
        return FeedSpec(stem=self.stem, title=self.title, id_suffix=self.id_suffix, entries=entries)


def tag_prefix(app: AppConfig) -> str:
    return f"tag:{app.settings.tag_authority},{app.settings.tag_date}:"


def feed_plans(store: IndexStore, app: AppConfig, changed: ChangedScopes | None = None) -> tuple[
        list[FeedPlan], list[str]]:
    """all (one entry per story) and one per source that has posts, newest first, feed_length long;
    given what changed since the last export, only the feeds it affects (the stems of the others come
    second)."""
    length = app.settings.feed_length
    plans, kept = [], []
    titles = {name: source.title for name, source in app.sources.items()}
    for feed in main_feeds(store, app.settings.feed_title, titles):
        if changed is not None and not changed.affects(feed.scope):
            kept.append(feed.stem)
            continue
        plans.append(FeedPlan(stem=feed.stem, title=feed.title, id_suffix=feed.id_suffix, kind=feed.scope.kind,
                              heads=newest_first(store.feed_newest(feed.scope, length))))
    return plans, kept


def public_url(app: AppConfig, relative: str) -> str | None:
    base = app.settings.public_base_url
    return f"{base.rstrip('/')}/feeds/{relative}" if base else None


def feed_path(feeds_dir: Path, spec: FeedSpec, extension: str) -> Path:
    return feeds_dir / f"{spec.stem}.{extension}"

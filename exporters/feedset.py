"""Which feed documents an export writes, and which posts go in each: shared by every format.

An export first reads every story's and post's *head* (keys, dates, revision, sources: no text) and
decides from those alone which entries each document holds; it then loads in full only the entries of
the documents it renders. A document whose heads did not change since the last export is not loaded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from crawler.config import AppConfig
from crawler.index import EntryHead, IndexStore, StoredPost, StoredStory
from exporters.model import Entry, entry_for, entry_for_story


@dataclass(frozen=True, kw_only=True)
class FeedSpec:
    stem: str  # path under DATA/feeds without extension: "all", "sources/NAME"
    title: str
    id_suffix: str  # the feed's tag: specific part, e.g. "feeds/all"
    entries: list[Entry]


def first_seen_order(head: EntryHead) -> tuple[datetime, str]:
    """Archive pages are cut in this order, so a full page never changes when new entries arrive."""
    return head.first_seen, head.key


def newest_first(heads: Iterable[EntryHead]) -> list[EntryHead]:
    """How a document lists its entries: by publication date (else first sighting), newest first."""
    return sorted(heads, key=lambda h: (h.published or h.first_seen, h.key), reverse=True)


def subscription_page(heads: Sequence[EntryHead], length: int) -> list[EntryHead]:
    """What a subscription document holds, in every format: the `length` entries first seen most
    recently (older ones live in archive pages, cut in first-seen order), shown newest first."""
    return newest_first(sorted(heads, key=first_seen_order)[-length:])


@dataclass(frozen=True)
class ExportIndex:
    """The heads of every story and of each source's posts, read once per export; full entries on demand."""

    store: IndexStore
    stories: list[EntryHead]
    posts: dict[str, list[EntryHead]]  # by source

    @classmethod
    def read(cls, store: IndexStore) -> ExportIndex:
        return cls(store, store.story_heads(), store.post_heads())

    def load_stories(self, heads: Sequence[EntryHead]) -> list[StoredStory]:
        return self.store.load_stories([h.id for h in heads])

    def load_posts(self, heads: Sequence[EntryHead]) -> list[StoredPost]:
        return self.store.load_posts([h.id for h in heads])


def tag_prefix(app: AppConfig) -> str:
    return f"tag:{app.settings.tag_authority},{app.settings.tag_date}:"


@dataclass(frozen=True, kw_only=True)
class FeedPlan:
    """A subscription document before its entries are loaded: what decides whether it must be rendered."""

    stem: str
    title: str
    id_suffix: str
    kind: Literal["story", "post"]
    heads: list[EntryHead]

    def fingerprint(self, app: AppConfig) -> str:
        """Its heads' revisions and every setting (a rendering may show any of them)."""
        digest = hashlib.sha256(f"{self.title}|{self.id_suffix}|{self.kind}|{app.settings!r}".encode())
        for head in self.heads:
            digest.update(f"|{head.key}:{head.id}:{head.revision}".encode())
        return digest.hexdigest()

    def spec(self, index: ExportIndex, app: AppConfig) -> FeedSpec:
        prefix = tag_prefix(app)
        entries = ([entry_for_story(s, prefix) for s in index.load_stories(self.heads)] if self.kind == "story"
                   else [entry_for(p, prefix) for p in index.load_posts(self.heads)])
        return FeedSpec(stem=self.stem, title=self.title, id_suffix=self.id_suffix, entries=entries)


def feed_plans(index: ExportIndex, app: AppConfig) -> list[FeedPlan]:
    """all (one entry per story) and one per source that has posts, newest first, feed_length long."""
    length = app.settings.feed_length
    plans = [FeedPlan(stem="all", title=app.settings.feed_title, id_suffix="feeds/all", kind="story",
                      heads=subscription_page(index.stories, length))]
    for name in sorted(index.posts):
        title = app.sources[name].title if name in app.sources else name
        plans.append(FeedPlan(stem=f"sources/{name}", title=f"{app.settings.feed_title}: {title}",
                              id_suffix=f"feeds/source/{name}", kind="post",
                              heads=subscription_page(index.posts[name], length)))
    return plans


def feed_specs(index: ExportIndex, app: AppConfig) -> list[FeedSpec]:
    """Every subscription document, loaded."""
    return [plan.spec(index, app) for plan in feed_plans(index, app)]


def public_url(app: AppConfig, relative: str) -> str | None:
    base = app.settings.public_base_url
    return f"{base.rstrip('/')}/feeds/{relative}" if base else None


def feed_path(feeds_dir: Path, spec: FeedSpec, extension: str) -> Path:
    return feeds_dir / f"{spec.stem}.{extension}"

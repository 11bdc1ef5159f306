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


def load(store: IndexStore, kind: Literal["story", "post"], heads: Sequence[EntryHead],
         tag_prefix: str) -> list[Entry]:
    ids = [h.id for h in heads]
    if kind == "story":
        return [entry_for_story(story, tag_prefix) for story in store.load_stories(ids)]
    return [entry_for(post, tag_prefix) for post in store.load_posts(ids)]


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
        return FeedSpec(stem=self.stem, title=self.title, id_suffix=self.id_suffix,
                        entries=load(store, self.kind, self.heads, tag_prefix(app)))


def tag_prefix(app: AppConfig) -> str:
    return f"tag:{app.settings.tag_authority},{app.settings.tag_date}:"


def feed_plans(store: IndexStore, app: AppConfig, changed: ChangedScopes | None = None) -> tuple[
        list[FeedPlan], list[str]]:
    """all (one entry per story) and one per source that has posts, newest first, feed_length long;
    given what changed since the last export, only the feeds it affects (the stems of the others come
    second)."""
    length = app.settings.feed_length
    plans, kept = [], []
    feeds = [("all", app.settings.feed_title, "feeds/all", FeedScope(kind="story"))]
    for name in store.feed_sources():
        title = app.sources[name].title if name in app.sources else name
        feeds.append((f"sources/{name}", f"{app.settings.feed_title}: {title}", f"feeds/source/{name}",
                      FeedScope(kind="post", sources=(name,))))
    for stem, title, id_suffix, scope in feeds:
        if changed is not None and not changed.affects(scope):
            kept.append(stem)
            continue
        plans.append(FeedPlan(stem=stem, title=title, id_suffix=id_suffix, kind=scope.kind,
                              heads=newest_first(store.feed_newest(scope, length))))
    return plans, kept


def feed_specs(store: IndexStore, app: AppConfig) -> list[FeedSpec]:
    """Every subscription document, loaded."""
    return [plan.spec(store, app) for plan in feed_plans(store, app)[0]]


def public_url(app: AppConfig, relative: str) -> str | None:
    base = app.settings.public_base_url
    return f"{base.rstrip('/')}/feeds/{relative}" if base else None


def feed_path(feeds_dir: Path, spec: FeedSpec, extension: str) -> Path:
    return feeds_dir / f"{spec.stem}.{extension}"

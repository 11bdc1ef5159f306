"""Which feed documents an export writes, and which posts go in each: shared by every format."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from crawler.config import AppConfig
from crawler.index import IndexStore, StoredPost, StoredStory
from exporters.model import Entry, entry_for, entry_for_story


@dataclass(frozen=True, kw_only=True)
class FeedSpec:
    stem: str  # path under DATA/feeds without extension: "all", "sources/NAME"
    title: str
    id_suffix: str  # the feed's tag: specific part, e.g. "feeds/all"
    entries: list[Entry]


Item = TypeVar("Item", bound=StoredPost | StoredStory)


def _post(item: StoredPost | StoredStory) -> StoredPost:
    return item.representative if isinstance(item, StoredStory) else item


def subscription_page(items: Sequence[Item], length: int) -> list[Item]:
    """What a subscription document holds, in every format: the `length` entries first seen most
    recently (older ones live in archive pages, cut in first-seen order), shown newest first."""
    ordered = sorted(items, key=lambda e: (_post(e).first_seen, e.key))[-length:]
    return sorted(ordered, key=lambda e: (_post(e).published or _post(e).first_seen, e.key), reverse=True)


def tag_prefix(app: AppConfig) -> str:
    return f"tag:{app.settings.tag_authority},{app.settings.tag_date}:"


def feed_specs(store: IndexStore, app: AppConfig) -> list[FeedSpec]:
    """all (one entry per story) and one per source that has posts, newest first, feed_length long."""
    prefix = tag_prefix(app)
    length = app.settings.feed_length
    specs = [FeedSpec(stem="all", title=app.settings.feed_title, id_suffix="feeds/all",
                      entries=[entry_for_story(s, prefix) for s in subscription_page(store.stories(), length)])]
    names = sorted(set(store.source_health()) | set(app.sources))
    for name in names:
        posts = subscription_page(store.posts(source=name), length)
        if posts:
            title = app.sources[name].title if name in app.sources else name
            specs.append(FeedSpec(stem=f"sources/{name}", title=f"{app.settings.feed_title}: {title}",
                                  id_suffix=f"feeds/source/{name}", entries=[entry_for(p, prefix) for p in posts]))
    return specs


def public_url(app: AppConfig, relative: str) -> str | None:
    base = app.settings.public_base_url
    return f"{base.rstrip('/')}/feeds/{relative}" if base else None


def feed_path(feeds_dir: Path, spec: FeedSpec, extension: str) -> Path:
    return feeds_dir / f"{spec.stem}.{extension}"

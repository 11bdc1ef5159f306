"""Which feed documents an export writes, and which posts go in each: shared by every format."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from crawler.config import AppConfig
from crawler.index import IndexStore
from exporters.model import Entry, entry_for, entry_for_story


@dataclass(frozen=True, kw_only=True)
class FeedSpec:
    stem: str  # path under DATA/feeds without extension: "all", "sources/NAME"
    title: str
    id_suffix: str  # the feed's tag: specific part, e.g. "feeds/all"
    entries: list[Entry]


def tag_prefix(app: AppConfig) -> str:
    return f"tag:{app.settings.tag_authority},{app.settings.tag_date}:"


def feed_specs(store: IndexStore, app: AppConfig) -> list[FeedSpec]:
    """all (one entry per story) and one per source that has posts, newest first, feed_length long."""
    prefix = tag_prefix(app)
    length = app.settings.feed_length
    specs = [FeedSpec(stem="all", title=app.settings.feed_title, id_suffix="feeds/all",
                      entries=[entry_for_story(s, prefix) for s in store.stories(limit=length)])]
    names = sorted(set(store.source_health()) | set(app.sources))
    for name in names:
        posts = store.posts(source=name, limit=length)
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

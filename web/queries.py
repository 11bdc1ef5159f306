"""Read-only lookups the pages need and the index store does not offer, on the store's own tables
(crawler/index/sql.py) with SQLAlchemy Core.

The story list is paged by keyset on stories.id (the primary key: newest in the archive first), so a
page costs an index walk from the cursor, never an OFFSET over every story. Filters are index
searches too: a source is post_urls.source; a category is the sources configured under it (as the
category feeds are, exporters/atom.py); a date bounds when the story reached the archive.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.engine import Engine

from crawler.index.schema import media, post_media, post_urls, posts, stories

# Below this many sightings a source's stories are collected from post_urls; above it, walking the
# stories from the cursor finds a page of them sooner.
_RARE_SOURCE = 2000


@dataclass(frozen=True)
class StoryRow:
    id: int
    key: str
    title: str
    source: str  # the representative's source
    source_name: str | None  # the publisher it names
    published: datetime | None
    first_seen: datetime
    copies: int = 0  # distinct URLs the story was seen at
    sources: list[str] = field(default_factory=list)
    picture: str | None = None  # path under DATA/media of the representative's first archived picture


@dataclass(frozen=True)
class StoryPage:
    rows: list[StoryRow]
    newer: int | None  # cursor (after=) of the page before, if any
    older: int | None  # cursor (before=) of the page after, if any


def story_page(engine: Engine, *, length: int = 30, before: int | None = None, after: int | None = None,
               sources: Collection[str] | None = None, since: datetime | None = None,
               until: datetime | None = None) -> StoryPage:
    """One page of stories, newest first; ``before``/``after`` are story ids from a neighbouring page."""
    representative = posts.alias("representative")
    query = (select(stories.c.id, stories.c.key, representative.c.title, representative.c.source,
                    representative.c.source_name, representative.c.published, stories.c.first_seen)
             .join(representative, representative.c.id == stories.c.post_id))
    # The day a story reached the archive: a column of the stories table, which the walk reads anyway
    # (the representative's own date would cost a lookup of its post per story walked past).
    if since is not None:
        query = query.where(stories.c.first_seen >= since)
    if until is not None:
        query = query.where(stories.c.first_seen < until)
    with engine.connect() as conn:
        if sources is not None:
            if not sources:
                return StoryPage([], None, None)
            sighted = int(conn.execute(select(func.count()).select_from(post_urls)
                                       .where(post_urls.c.source.in_(sources))).scalar_one())
            if sighted <= _RARE_SOURCE:
                sighted_in = select(posts.c.story_id).join(post_urls, post_urls.c.post_id == posts.c.id).where(
                    post_urls.c.source.in_(sources))
                query = query.where(stories.c.id.in_(sighted_in))
            else:
                # Nested, so the database goes story -> its posts (ix_posts_story_id) -> their sightings
                # (ix_post_urls_post_id), not through every sighting of the source for each story.
                member = posts.alias("member")
                seen_here = exists().where(post_urls.c.post_id == member.c.id, post_urls.c.source.in_(sources))
                query = query.where(exists().where(member.c.story_id == stories.c.id, seen_here))
        if after is not None:
            rows = list(conn.execute(query.where(stories.c.id > after).order_by(stories.c.id.asc())
                                     .limit(length + 1)))
            more_newer = len(rows) > length
            rows = rows[:length][::-1]
            more_older = bool(rows) and conn.execute(
                query.where(stories.c.id < rows[-1].id).limit(1)).first() is not None
        else:
            if before is not None:
                query = query.where(stories.c.id < before)
            rows = list(conn.execute(query.order_by(stories.c.id.desc()).limit(length + 1)))
            more_older = len(rows) > length
            rows = rows[:length]
            more_newer = before is not None and bool(rows)
        ids = [r.id for r in rows]
        urls: dict[int, set[str]] = defaultdict(set)
        seen_in: dict[int, set[str]] = defaultdict(set)
        pictures: dict[int, str] = {}
        if ids:
            for story_id, source, url in conn.execute(
                    select(posts.c.story_id, post_urls.c.source, post_urls.c.url)
                    .join(post_urls, post_urls.c.post_id == posts.c.id).where(posts.c.story_id.in_(ids))):
                seen_in[story_id].add(source)
                urls[story_id].add(url)
            first = (select(stories.c.id, media.c.path, post_media.c.position)
                     .join(post_media, post_media.c.post_id == stories.c.post_id)
                     .join(media, media.c.id == post_media.c.media_id)
                     .where(stories.c.id.in_(ids)).order_by(stories.c.id, post_media.c.position))
            for story_id, path, _position in conn.execute(first):
                pictures.setdefault(story_id, path)
    result = [StoryRow(id=r.id, key=r.key, title=r.title, source=r.source, source_name=r.source_name,
                       published=r.published, first_seen=r.first_seen, copies=len(urls.get(r.id, ())) or 1,
                       sources=sorted(seen_in.get(r.id, {r.source})), picture=pictures.get(r.id))
              for r in rows]
    return StoryPage(result, newer=result[0].id if result and more_newer else None,
                     older=result[-1].id if result and more_older else None)


def story_id_by_key(engine: Engine, key: str) -> int | None:
    with engine.connect() as conn:
        found = conn.execute(select(stories.c.id).where(stories.c.key == key)).scalar()
        if found is None:
            # A merged-away story's key lives on as its founding post's key: find where that post went.
            found = conn.execute(select(posts.c.story_id).where(posts.c.key == key)).scalar()
    return int(found) if found is not None else None


def media_paths(engine: Engine, post_ids: Collection[int]) -> dict[int, list[tuple[str, str]]]:
    """Each post's archived pictures in order: (path under DATA/media, the URL it was shown at)."""
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    if not post_ids:
        return found
    with engine.connect() as conn:
        for post_id, path, url in conn.execute(
                select(post_media.c.post_id, media.c.path, post_media.c.url)
                .join(media, media.c.id == post_media.c.media_id)
                .where(post_media.c.post_id.in_(list(post_ids))).order_by(post_media.c.post_id, post_media.c.position)):
            found[post_id].append((path, url))
    return found

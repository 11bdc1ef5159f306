"""The index store on SQLAlchemy Core: one schema and one code path for SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, Table, bindparam, cast, create_engine, event, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from crawler.content.neardup import DEFAULT_THRESHOLD
from crawler.content.search import Query
from crawler.errors import IndexStoreError
from crawler.index import search
from crawler.index.migrate import Migration, engine_url, index_is_current, upgrade_index
from crawler.index.schema import (
    archive_files,
    captures,
    media,
    payload_digests,
    post_media,
    post_urls,
    posts,
    revisions,
    source_runs,
    source_state,
    stories,
    stories_gone,
    url_validators,
)

# Re-exported: tests and benches read these tables here.
from crawler.index.schema import post_bands as post_bands
from crawler.index.schema import site_lines as site_lines
from crawler.index.search import Filters, Hit
from crawler.index.store import (
    ArchiveFile,
    ChangedScopes,
    EntryHead,
    FeedScope,
    PostUrl,
    SourceHealth,
    SourceRun,
    SourceState,
    StoredMedia,
    StoredPost,
    StoredStory,
    UpsertResult,
    Validators,
)
from crawler.index.stories import StoryClusterer
from crawler.items import MediaRef, PayloadRecord, PostItem, WarcRef

logger = logging.getLogger(__name__)


MAX_BACKOFF_SECONDS = 7 * 86400
# Tries of one post's upsert transaction when another process writes the same rows concurrently.
UPSERT_ATTEMPTS = 5


def _insert_ignore(conn: Connection, table: Table) -> Any:
    """INSERT … ON CONFLICT DO NOTHING in the connection's dialect."""
    if conn.dialect.name == "postgresql":
        return postgresql_insert(table).on_conflict_do_nothing()
    return sqlite_insert(table).on_conflict_do_nothing()


def _archived_pictures(html: str) -> int:
    return html.count("data-original-src=")


# Statements run per response or per picture, built once: SQLAlchemy then skips building and hashing
# them again (its compiled cache is keyed by a hash of the statement's structure).
_PAYLOAD_BY_DIGEST = select(payload_digests).where(payload_digests.c.digest == bindparam("digest"))
_MEDIA_BY_POST_URL = (select(media).join(post_media, post_media.c.media_id == media.c.id)
                      .where(post_media.c.url == bindparam("url")).limit(1))
_MEDIA_BY_FIRST_URL = select(media).where(media.c.first_url == bindparam("url")).limit(1)


def _url_key(url: str) -> str:
    return hashlib.sha1(url.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets `serve` and `export` read while a crawl writes; busy_timeout waits out short locks.
    cursor = dbapi_connection.cursor()
    # busy_timeout first: switching to WAL needs a lock that another process creating the file may hold.
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL never corrupts the database; a power cut can only lose the last commits, which
    # the next crawl redoes from the (fsynced) WARCs. FULL costs an fsync per post on the reactor thread.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


# Serialises story assignment between processes sharing one PostgreSQL index (SQLite has one writer).
_ADVISORY_LOCK = 0x66617374_6F727931  # "fastory1"


class SqlIndexStore:
    """IndexStore over SQLAlchemy (sqlite:///PATH, postgresql://…)."""

    def __init__(self, url: str, *, story_threshold: float = DEFAULT_THRESHOLD) -> None:
        self.url = url
        self.clusterer = StoryClusterer(story_threshold)
        self.upsert_retries = 0  # transactions replayed after racing another writer
        self.migration: Migration | None = None  # what this open upgraded, if the schema was behind
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine: Engine = create_engine(engine_url(url))
            if self.engine.dialect.name == "sqlite":
                event.listen(self.engine, "connect", _set_sqlite_pragmas)
            # One read of the version row; an index behind it is upgraded here, once (crawler/index/migrate.py).
            if not index_is_current(self.engine):
                self.migration = upgrade_index(url, self._cluster_unassigned)
        except SQLAlchemyError as exc:
            raise IndexStoreError(f"cannot open index store {self.url}: {exc.__class__.__name__}: {exc}") from None

    def cluster_unassigned(self) -> int:
        """Put every post stored without a story into one (its story assignment failed, or the index
        predates story clusters); the crawl's index writer runs this at crawl start. Returns how many."""
        with self.engine.begin() as conn:
            return self._cluster_unassigned(conn)

    def _cluster_unassigned(self, conn: Connection) -> int:
        self._lock(conn)
        if not self.clusterer.count_unassigned(conn):
            return 0
        done = self.clusterer.backfill(conn, _now())
        logger.info("Clustered %d stored posts into stories", done)
        revision = self._next_revision(conn)  # every story is new to the next export
        conn.execute(update(posts).values(revision=revision))
        conn.execute(update(stories).values(revision=revision))
        conn.execute(update(stories_gone).where(stories_gone.c.revision.is_(None)).values(revision=revision))
        return done

    def _lock(self, conn: Connection) -> None:
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(_ADVISORY_LOCK)))

    def reindex_search(self) -> int:
        """Rebuild the search index from every post."""
        with self.engine.begin() as conn:
            self._lock(conn)
            return search.reindex(conn)

    def search(self, query: Query, filters: Filters | None = None, limit: int = 20) -> list[Hit]:
        """Stories whose posts match, best first; one hit per story (crawler/index/search.py)."""
        with self.engine.connect() as conn:
            return search.search(conn, query, filters or Filters(), limit)

    def close(self) -> None:
        self.engine.dispose()

    # -- posts -----------------------------------------------------------------------------------

    def upsert_post(self, item: PostItem) -> UpsertResult:
        """Store a post once per content hash, link the URL it was seen at, and put it in its story.

        One transaction. Should story assignment fail, the post is stored without a story rather than
        lost (story outcome "error"); the next crawl clusters it when it starts (`cluster_unassigned`).
        """
        if not item.content_hash:
            raise IndexStoreError(f"post {item.url} has no content hash")
        try:
            return self._upsert_replayed(item, cluster=True)
        except SQLAlchemyError:
            raise
        except IndexStoreError:
            raise
        except Exception:
            logger.exception("Story assignment failed for %s; storing the post without a story", item.url)
            result = self._upsert_replayed(item, cluster=False)
            return UpsertResult(post_id=result.post_id, outcome=result.outcome, story_id=None, story_outcome="error")

    def _upsert_replayed(self, item: PostItem, *, cluster: bool) -> UpsertResult:
        """Crawler processes sharing one index (crawler/net/frontier.py) can insert the same content hash,
        URL or capture at the same moment: the loser's transaction fails on the unique constraint and
        is replayed, and then finds the winner's rows."""
        for attempt in range(UPSERT_ATTEMPTS):
            try:
                return self._upsert(item, cluster=cluster)
            except IntegrityError as exc:
                if attempt == UPSERT_ATTEMPTS - 1:
                    raise IndexStoreError(f"post {item.url} still conflicts after {UPSERT_ATTEMPTS} attempts: "
                                          f"{exc.orig}") from None
                self.upsert_retries += 1
                logger.info("Upsert of %s raced another writer (%s); again", item.url, type(exc.orig).__name__)
        raise AssertionError("unreachable")

    def _upsert(self, item: PostItem, *, cluster: bool) -> UpsertResult:
        now = _now()
        with self.engine.begin() as conn:
            self._lock(conn)
            by_hash = conn.execute(select(posts).where(posts.c.content_hash == item.content_hash)).mappings().first()
            url_rows = conn.execute(select(post_urls).where(post_urls.c.url == item.url)).mappings().all()
            own_row = next((r for r in url_rows if r["source"] == item.source), None)
            story: tuple[int | None, str] = (None, "")
            if by_hash is not None:
                post_id = by_hash["id"]
                merged = self._merge(conn, dict(by_hash), item)
                outcome = "seen" if own_row is not None and own_row["post_id"] == post_id else "duplicate"
                shown_changed = merged or outcome != "seen"
                if by_hash["story_id"] is not None:
                    self.clusterer.refresh_representative(conn, by_hash["story_id"])  # an original may have come
                    story = (by_hash["story_id"], "same")
            elif url_rows:
                # Same URL, new content: the article was edited. Keep its key (the entry id).
                post_id = url_rows[0]["post_id"]
                conn.execute(update(posts).where(posts.c.id == post_id).values(
                    content_hash=item.content_hash, title=item.title, body_html=item.body_html, text=item.text,
                    summary=item.summary, updated=item.updated if item.updated and item.updated > now else now,
                    lead_image=item.lead_image,
                ))
                outcome, shown_changed = "changed", True
                if cluster:
                    self.clusterer.reindex(conn, post_id, item.url, item.text)
                story = (conn.execute(select(posts.c.story_id).where(posts.c.id == post_id)).scalar_one(), "same")
            else:
                published = item.published
                new_key = item.content_hash[:20]
                key = conn.execute(posts.insert().values(
                    key=new_key, content_hash=item.content_hash, source=item.source, url=item.url,
                    original_url=item.url if item.role == "original" else item.original_url,
                    has_original=item.role == "original", title=item.title, author=item.author,
                    source_name=item.source_name, published=published,
                    updated=item.updated or published or now, categories=json.dumps(item.categories),
                    body_html=item.body_html, text=item.text, summary=item.summary,
                    lead_image=item.lead_image, first_seen=now,
                )).inserted_primary_key
                assert key is not None
                post_id = int(key[0])
                outcome, shown_changed = "new", True
                if cluster:
                    assignment = self.clusterer.assign(conn, post_id, new_key, item.url, item.text, now)
                    story = (assignment.story_id, assignment.outcome)
            if url_rows:
                conn.execute(update(post_urls).where(post_urls.c.url == item.url).values(post_id=post_id))
            self._link_url(conn, post_id, item, own_row, now)
            # A first capture of a URL gives the post's entry its snapshot link; later ones (revisits) do not.
            shown_changed |= self._add_captures(conn, post_id, item.captures)
            self._add_media(conn, post_id, item.media, now)
            # A URL that moved here from another post changes that post's links too.
            moved_from = {r["post_id"] for r in url_rows if r["post_id"] != post_id}
            if shown_changed:
                search.index_post(conn, post_id)
            if shown_changed or moved_from:
                self._stamp(conn, {post_id, *moved_from}, merged_story=story[0] if story[1] == "merged" else None)
        return UpsertResult(post_id=post_id, outcome=outcome, story_id=story[0], story_outcome=story[1])

    def _next_revision(self, conn: Connection) -> int:
        conn.execute(update(revisions).where(revisions.c.id == 1).values(value=revisions.c.value + 1))
        return int(conn.execute(select(revisions.c.value).where(revisions.c.id == 1)).scalar_one())

    def _stamp(self, conn: Connection, post_ids: set[int], *, merged_story: int | None = None) -> None:
        """Mark the posts and their stories as changed at a new revision, for the next export. A merge
        repoints every post of the absorbed stories at the survivor: they carry its key now."""
        revision = self._next_revision(conn)
        conn.execute(update(posts).where(posts.c.id.in_(post_ids)).values(revision=revision))
        if merged_story is not None:
            conn.execute(update(posts).where(posts.c.story_id == merged_story).values(revision=revision))
        conn.execute(update(stories).where(stories.c.id.in_(
            select(posts.c.story_id).where(posts.c.id.in_(post_ids)))).values(revision=revision))
        if merged_story is not None:
            conn.execute(update(stories_gone).where(stories_gone.c.revision.is_(None)).values(revision=revision))

    def _merge(self, conn: Connection, row: dict[str, Any], item: PostItem) -> bool:
        """Fold another copy into a stored post: the publisher's original wins, gaps are filled.
        True when the stored post changed."""
        values: dict[str, Any] = {}
        if item.role == "original" and not row["has_original"]:
            values.update(has_original=True, original_url=item.url, title=item.title or row["title"],
                          body_html=item.body_html, text=item.text)
            values["author"] = item.author or row["author"]
            values["published"] = item.published or row["published"]
            values["lead_image"] = item.lead_image or row["lead_image"]  # goes with the body it leads
            # The publisher's own attribution beats what a copy wrote ("中国青年报客户端"); atom:source shows it.
            values["source_name"] = item.source_name or row["source_name"]
        for key in ("author", "source_name", "published", "summary", "lead_image", "original_url"):
            if row[key] is None and key not in values and getattr(item, key, None):
                values[key] = getattr(item, key)
        body_url = row["original_url"] if row["has_original"] else row["url"]
        if "body_html" not in values and item.url == body_url and (
                _archived_pictures(item.body_html) > _archived_pictures(row["body_html"])):
            # The same page again with more of its pictures archived (a CDN was down last time): never fewer.
            values.update(body_html=item.body_html, lead_image=item.lead_image or row["lead_image"])
        merged = list(dict.fromkeys(json.loads(row["categories"]) + item.categories))
        if merged != json.loads(row["categories"]):
            values["categories"] = json.dumps(merged)
        if values:
            conn.execute(update(posts).where(posts.c.id == row["id"]).values(**values))
        return bool(values)

    def _link_url(self, conn: Connection, post_id: int, item: PostItem, url_row: Any, now: datetime) -> None:
        if url_row is None:
            conn.execute(post_urls.insert().values(
                post_id=post_id, url=item.url, source=item.source, role=item.role,
                feed_entry_id=item.feed_entry_id, first_seen=now, last_seen=now,
            ))
        else:
            conn.execute(update(post_urls).where(post_urls.c.id == url_row["id"]).values(
                post_id=post_id, last_seen=now, feed_entry_id=item.feed_entry_id or url_row["feed_entry_id"],
            ))

    def _add_captures(self, conn: Connection, post_id: int, refs: list[WarcRef]) -> bool:
        """Link new captures to the post; True when one is the post's first capture of its URL."""
        if not refs:
            return False
        urls = set(conn.execute(select(captures.c.url).where(captures.c.post_id == post_id)).scalars())
        first = False
        for ref in refs:
            exists = conn.execute(select(captures.c.id).where(captures.c.record_id == ref["record_id"],
                                                              captures.c.post_id == post_id)).first()
            if exists is None:
                conn.execute(captures.insert().values(post_id=post_id, **ref))
                first |= ref["url"] not in urls
                urls.add(ref["url"])
        return first

    def _add_media(self, conn: Connection, post_id: int, refs: list[MediaRef], now: datetime) -> None:
        linked = {r[0] for r in conn.execute(select(post_media.c.media_id).where(post_media.c.post_id == post_id))}
        position = len(linked)
        for ref in refs:
            # Another crawler may store the same picture at the same moment: insert-or-nothing, then read.
            conn.execute(_insert_ignore(conn, media).values(
                sha256=ref["sha256"], path=ref["path"], media_type=ref["media_type"], width=ref["width"],
                height=ref["height"], size=ref["size"], first_url=ref["url"], first_seen=now,
            ))
            media_id = conn.execute(select(media.c.id).where(media.c.sha256 == ref["sha256"])).scalar_one()
            if media_id not in linked:
                conn.execute(post_media.insert().values(post_id=post_id, media_id=media_id, url=ref["url"],
                                                        position=position))
                linked.add(media_id)
                position += 1

    def has_url(self, url: str, source: str) -> bool:
        """Whether ``source`` has a post stored at ``url``."""
        with self.engine.connect() as conn:
            return conn.execute(select(post_urls.c.id).where(post_urls.c.url == url, post_urls.c.source == source)
                                .limit(1)).first() is not None

    def media_at(self, url: str) -> StoredMedia | None:
        """The picture archived from an image URL in an earlier crawl, if any."""
        with self.engine.connect() as conn:
            row = conn.execute(_MEDIA_BY_POST_URL, {"url": url}).mappings().first()
            if row is None:
                row = conn.execute(_MEDIA_BY_FIRST_URL, {"url": url}).mappings().first()
        if row is None:
            return None
        return StoredMedia(sha256=row["sha256"], path=row["path"], media_type=row["media_type"], width=row["width"],
                           height=row["height"], size=row["size"], first_url=row["first_url"],
                           first_seen=row["first_seen"], url=url)

    def media(self, post_id: int | None = None) -> list[StoredMedia]:
        """Archived pictures: all of them (by first sighting), or one post's in its order."""
        query = select(media)
        if post_id is not None:
            query = (select(media, post_media.c.url.label("post_url"))
                     .join(post_media, post_media.c.media_id == media.c.id)
                     .where(post_media.c.post_id == post_id).order_by(post_media.c.position))
        else:
            query = query.order_by(media.c.id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [StoredMedia(sha256=r["sha256"], path=r["path"], media_type=r["media_type"], width=r["width"],
                            height=r["height"], size=r["size"], first_url=r["first_url"],
                            first_seen=r["first_seen"], url=r.get("post_url") or r["first_url"])
                for r in rows]

    def all_captures(self) -> list[WarcRef]:
        """Every capture any post points to, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(captures).order_by(captures.c.id)).mappings().all()
        return [WarcRef(warc_file=c["warc_file"], offset=c["offset"], length=c["length"], record_id=c["record_id"],
                        url=c["url"], captured_at=c["captured_at"]) for c in rows]

    def revision(self) -> int:
        """The index's revision counter: it moves whenever something an export shows changes."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(revisions.c.value).where(revisions.c.id == 1)).scalar_one())

    def captures_at(self, url: str) -> list[WarcRef]:
        """Every capture of this URL that a post points to, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(captures).where(captures.c.url == url).order_by(captures.c.id)).mappings().all()
        return [WarcRef(warc_file=c["warc_file"], offset=c["offset"], length=c["length"], record_id=c["record_id"],
                        url=c["url"], captured_at=c["captured_at"]) for c in rows]

    def count_posts(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(posts)).scalar_one())

    def posts(self, *, source: str | None = None, limit: int | None = None) -> list[StoredPost]:
        """Posts newest first (published, else first seen), each with its URLs, captures and story."""
        order = func.coalesce(posts.c.published, posts.c.first_seen)
        query = select(posts.c.id).order_by(order.desc(), posts.c.id.desc())
        if source is not None:
            query = query.where(posts.c.id.in_(select(post_urls.c.post_id).where(post_urls.c.source == source)))
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            ids = list(conn.execute(query).scalars())
            loaded = self._load_posts(conn, ids)
        return [loaded[post_id] for post_id in ids]

    def stories(self, *, limit: int | None = None) -> list[StoredStory]:
        """Stories newest first (their representative's published date, else first seen), with every post."""
        order = func.coalesce(posts.c.published, posts.c.first_seen)
        query = (select(stories.c.id, stories.c.key, stories.c.post_id)
                 .join(posts, posts.c.id == stories.c.post_id).order_by(order.desc(), stories.c.id.desc()))
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return self._load_stories(conn, conn.execute(query).all())

    def load_stories(self, ids: list[int]) -> list[StoredStory]:
        """These stories (the ids `story_heads` gave), complete, in this order; gone ones left out."""
        with self.engine.connect() as conn:
            rows: dict[int, Any] = {}
            for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
                rows.update((r.id, r) for r in conn.execute(
                    select(stories.c.id, stories.c.key, stories.c.post_id).where(stories.c.id.in_(chunk))))
            return self._load_stories(conn, [rows[i] for i in ids if i in rows])

    def load_posts(self, ids: list[int]) -> list[StoredPost]:
        """These posts, complete, in this order; gone ones left out."""
        with self.engine.connect() as conn:
            loaded = self._load_posts(conn, ids)
        return [loaded[i] for i in ids if i in loaded]

    def feed_sources(self) -> list[str]:
        """Every source some post was seen in."""
        with self.engine.connect() as conn:
            return sorted(conn.execute(select(post_urls.c.source).distinct()).scalars())

    def _scope(self, scope: FeedScope) -> Any:
        """The entries of a feed as rows (id, key, revision, published, fs): fs orders them (first seen
        in that feed: a story when founded, or when the first of the scope's sources showed it)."""
        first = func.min(post_urls.c.first_seen).label("fs")
        if scope.kind == "post":
            query = (select(posts.c.id, posts.c.key, posts.c.revision, posts.c.published, first)
                     .join(post_urls, post_urls.c.post_id == posts.c.id)
                     .where(post_urls.c.source.in_(scope.sources or ()))
                     .group_by(posts.c.id, posts.c.key, posts.c.revision, posts.c.published))
        else:
            representative = posts.alias("representative")
            query = (select(stories.c.id, stories.c.key, stories.c.revision, representative.c.published,
                            stories.c.first_seen.label("fs"))
                     .join(representative, representative.c.id == stories.c.post_id))
            if scope.sources is not None:
                member = posts.alias("member")
                query = (select(stories.c.id, stories.c.key, stories.c.revision, representative.c.published, first)
                         .join(representative, representative.c.id == stories.c.post_id)
                         .join(member, member.c.story_id == stories.c.id)
                         .join(post_urls, post_urls.c.post_id == member.c.id)
                         .where(post_urls.c.source.in_(scope.sources))
                         .group_by(stories.c.id, stories.c.key, stories.c.revision, representative.c.published))
        return query.subquery()

    def feed_pages(self, scope: FeedScope, length: int) -> tuple[int, list[str]]:
        """How many entries a feed has, and a digest of each page of ``length`` in first-seen order:
        computed by the database, so an export knows which archive pages changed without reading them.
        A digest moves when a member joins, leaves or is stamped with a new revision (count, sums of ids
        and of their squares, revisions)."""
        rows = self._scope(scope)
        numbered = select(rows.c.id, rows.c.revision,
                          func.row_number().over(order_by=(rows.c.fs, rows.c.key)).label("rn")).subquery()
        page = ((numbered.c.rn - 1) // length).label("page")
        query = (select(page, func.count(), func.max(numbered.c.revision), func.sum(numbered.c.id),
                        func.sum(cast(numbered.c.id, BigInteger) * numbered.c.id), func.sum(numbered.c.revision))
                 .group_by(page).order_by(page))
        with self.engine.connect() as conn:
            found = conn.execute(query).all()
        return sum(r[1] for r in found), [":".join(str(v) for v in r[1:]) for r in found]

    def feed_page(self, scope: FeedScope, length: int, page: int) -> list[EntryHead]:
        """Page ``page`` (from 0) of a feed in first-seen order."""
        rows = self._scope(scope)
        return self._heads(select(rows).order_by(rows.c.fs, rows.c.key).limit(length).offset(page * length))

    def feed_newest(self, scope: FeedScope, length: int) -> list[EntryHead]:
        """The ``length`` entries first seen most recently, in first-seen order."""
        rows = self._scope(scope)
        return self._heads(select(rows).order_by(rows.c.fs.desc(), rows.c.key.desc()).limit(length))[::-1]

    def story_heads(self, *, changed_since: int | None = None) -> list[EntryHead]:
        """Every story, or those whose revision is past ``changed_since``."""
        rows = self._scope(FeedScope(kind="story"))
        query = select(rows).order_by(rows.c.id)
        if changed_since is not None:
            query = query.where(rows.c.revision > changed_since)
        return self._heads(query)

    def changed_since(self, revision: int) -> ChangedScopes:
        """Which feeds have entries stamped past ``revision``: index searches on the stamps, so the
        cost is in proportion to what changed."""
        with self.engine.connect() as conn:
            stories_changed = conn.execute(select(stories.c.id).where(stories.c.revision > revision).limit(1)).first()
            post_sources = set(conn.execute(
                select(post_urls.c.source).distinct().join(posts, posts.c.id == post_urls.c.post_id)
                .where(posts.c.revision > revision)).scalars())
            member = posts.alias("member")
            story_sources = set(conn.execute(
                select(post_urls.c.source).distinct().join(member, member.c.id == post_urls.c.post_id)
                .join(stories, stories.c.id == member.c.story_id).where(stories.c.revision > revision)).scalars())
        return ChangedScopes(stories=stories_changed is not None, post_sources=post_sources,
                             story_sources=story_sources)

    def stories_gone(self, *, since: int = 0) -> list[str]:
        """Keys of stories merged into others after revision ``since``."""
        with self.engine.connect() as conn:
            return list(conn.execute(select(stories_gone.c.key).where(stories_gone.c.revision > since)).scalars())

    def _heads(self, query: Any) -> list[EntryHead]:
        with self.engine.connect() as conn:
            return [EntryHead(id=r.id, key=r.key, revision=r.revision, first_seen=r.fs, published=r.published)
                    for r in conn.execute(query)]

    def _load_stories(self, conn: Connection, rows: Sequence[Any]) -> list[StoredStory]:
        """Stories from (id, key, post_id) rows, each with every post, the representative first."""
        members: dict[int, list[int]] = defaultdict(list)
        story_ids = [r.id for r in rows]
        for chunk in (story_ids[i:i + 500] for i in range(0, len(story_ids), 500)):
            for m in conn.execute(select(posts.c.id, posts.c.story_id).where(posts.c.story_id.in_(chunk))
                                  .order_by(posts.c.first_seen, posts.c.id)):
                members[m.story_id].append(m.id)
        loaded = self._load_posts(conn, [post_id for r in rows for post_id in members[r.id]])
        result = []
        for r in rows:
            representative = loaded[r.post_id]
            others = [loaded[post_id] for post_id in members[r.id] if post_id != r.post_id]
            result.append(StoredStory(id=r.id, key=r.key, representative=representative,
                                      posts=[representative, *others]))
        return result

    def count_stories(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(stories)).scalar_one())

    def _load_posts(self, conn: Connection, ids: list[int]) -> dict[int, StoredPost]:
        """The posts with these ids, each with its URLs, captures and story key."""
        rows: list[Any] = []
        urls: dict[int, list[PostUrl]] = defaultdict(list)
        refs: dict[int, list[WarcRef]] = defaultdict(list)
        for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
            rows.extend(conn.execute(select(posts, stories.c.key.label("story_key"))
                                     .outerjoin(stories, stories.c.id == posts.c.story_id)
                                     .where(posts.c.id.in_(chunk))).mappings())
            for u in conn.execute(select(post_urls).where(post_urls.c.post_id.in_(chunk))
                                  .order_by(post_urls.c.id)).mappings():
                urls[u["post_id"]].append(PostUrl(
                    url=u["url"], source=u["source"], role=u["role"], feed_entry_id=u["feed_entry_id"],
                    first_seen=u["first_seen"], last_seen=u["last_seen"]))
            for c in conn.execute(select(captures).where(captures.c.post_id.in_(chunk))
                                  .order_by(captures.c.id)).mappings():
                refs[c["post_id"]].append(WarcRef(
                    warc_file=c["warc_file"], offset=c["offset"], length=c["length"],
                    record_id=c["record_id"], url=c["url"], captured_at=c["captured_at"]))
        return {
            r["id"]: StoredPost(
                id=r["id"], key=r["key"], content_hash=r["content_hash"], source=r["source"], url=r["url"],
                original_url=r["original_url"], has_original=r["has_original"], title=r["title"],
                author=r["author"], source_name=r["source_name"], published=r["published"], updated=r["updated"],
                categories=json.loads(r["categories"]), body_html=r["body_html"], text=r["text"],
                summary=r["summary"], lead_image=r["lead_image"], first_seen=r["first_seen"],
                story_key=r["story_key"], urls=urls[r["id"]], captures=refs[r["id"]],
            )
            for r in rows
        }

    # -- the digest index and conditional requests -------------------------------------------------

    def payload_record(self, digest: str) -> PayloadRecord | None:
        """The response record that holds this payload in full, if one was archived."""
        with self.engine.connect() as conn:
            row = conn.execute(_PAYLOAD_BY_DIGEST, {"digest": digest}).mappings().first()
        if row is None:
            return None
        return PayloadRecord(digest=row["digest"], url=row["url"], captured_at=row["captured_at"],
                             record_id=row["record_id"], warc_file=row["warc_file"], offset=row["offset"],
                             length=row["length"])

    def add_payload_records(self, records: list[PayloadRecord]) -> None:
        """Remember payloads archived in full, in one transaction; a digest already there (another
        writer got there first) keeps its row."""
        if not records:
            return
        with self.engine.begin() as conn:
            conn.execute(_insert_ignore(conn, payload_digests), [
                {"digest": r.digest, "url": r.url, "captured_at": r.captured_at, "record_id": r.record_id,
                 "warc_file": r.warc_file, "offset": r.offset, "length": r.length} for r in records])

    def add_payload_record(self, record: PayloadRecord) -> bool:
        """Remember a payload archived in full; False when another writer got there first."""
        try:
            with self.engine.begin() as conn:
                conn.execute(payload_digests.insert().values(
                    digest=record.digest, url=record.url, captured_at=record.captured_at,
                    record_id=record.record_id, warc_file=record.warc_file, offset=record.offset,
                    length=record.length,
                ))
        except IntegrityError:
            return False
        return True

    def payload_records(self) -> list[PayloadRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(payload_digests).order_by(payload_digests.c.id)).mappings().all()
        return [PayloadRecord(digest=r["digest"], url=r["url"], captured_at=r["captured_at"],
                              record_id=r["record_id"], warc_file=r["warc_file"], offset=r["offset"],
                              length=r["length"]) for r in rows]

    def validators(self, url: str) -> Validators | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(url_validators).where(url_validators.c.url_key == _url_key(url))
                               ).mappings().first()
        if row is None:
            return None
        return Validators(url=row["url"], etag=row["etag"], last_modified=row["last_modified"],
                          digest=row["digest"])

    def set_validators(self, validators: Validators) -> None:
        key = _url_key(validators.url)
        values = {"url": validators.url, "etag": validators.etag, "last_modified": validators.last_modified,
                  "digest": validators.digest, "updated_at": _now()}
        for _attempt in range(2):  # an insert can race another crawler's: then update what it wrote
            with self.engine.begin() as conn:
                if conn.execute(update(url_validators).where(url_validators.c.url_key == key)
                                .values(**values)).rowcount:
                    return
            try:
                with self.engine.begin() as conn:
                    conn.execute(url_validators.insert().values(url_key=key, **values))
                return
            except IntegrityError:
                continue

    # -- archive files ------------------------------------------------------------------------------

    def add_archive_file(self, kind: str, name: str, size: int, sha256: str) -> None:
        """Register a finished file (pending upload); registering it again updates its size and hash."""
        with self.engine.begin() as conn:
            done = conn.execute(update(archive_files).where(archive_files.c.name == name).values(
                kind=kind, size=size, sha256=sha256, uploaded_to=None, uploaded_at=None, last_error=None,
                deleted_locally=False))
            if not done.rowcount:
                conn.execute(archive_files.insert().values(kind=kind, name=name, size=size, sha256=sha256,
                                                           created_at=_now(), deleted_locally=False))

    def archived_files(self, *, pending: bool = False) -> list[ArchiveFile]:
        query = select(archive_files).order_by(archive_files.c.id)
        if pending:
            query = query.where(archive_files.c.uploaded_at.is_(None))
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [ArchiveFile(kind=r["kind"], name=r["name"], size=r["size"], sha256=r["sha256"],
                            uploaded_to=r["uploaded_to"], uploaded_at=r["uploaded_at"],
                            deleted_locally=r["deleted_locally"], last_error=r["last_error"]) for r in rows]

    def mark_uploaded(self, name: str, uploaded_to: str, *, deleted_locally: bool) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(archive_files).where(archive_files.c.name == name).values(
                uploaded_to=uploaded_to, uploaded_at=_now(), deleted_locally=deleted_locally, last_error=None))

    def mark_upload_failed(self, name: str, error: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(archive_files).where(archive_files.c.name == name).values(last_error=error[:2000]))

    # -- runs and health ---------------------------------------------------------------------------

    def start_run(self, source: str) -> int:
        with self.engine.begin() as conn:
            key = conn.execute(source_runs.insert().values(
                source=source, started_at=_now(), status="running", items=0, errors=0, details="{}",
            )).inserted_primary_key
            assert key is not None
            return int(key[0])

    def finish_run(self, run_id: int, *, status: str, items: int, errors: int,
                   details: dict[str, Any], last_error: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(source_runs).where(source_runs.c.id == run_id).values(
                finished_at=_now(), status=status, items=items, errors=errors,
                details=json.dumps(details, ensure_ascii=False, sort_keys=True), last_error=last_error,
            ))

    def source_health(self) -> dict[str, SourceHealth]:
        with self.engine.connect() as conn:
            latest = (select(source_runs.c.source, func.max(source_runs.c.id).label("id"),
                             func.count().label("runs")).group_by(source_runs.c.source).subquery())
            rows = conn.execute(
                select(source_runs, latest.c.runs).join(latest, latest.c.id == source_runs.c.id)
            ).mappings().all()
            per_source = select(post_urls.c.source, func.count(func.distinct(post_urls.c.post_id)))
            counts: dict[str, int] = {row[0]: int(row[1])
                                      for row in conn.execute(per_source.group_by(post_urls.c.source))}
        return {
            r["source"]: SourceHealth(
                source=r["source"], last_started=r["started_at"], last_finished=r["finished_at"],
                last_status=r["status"], last_items=r["items"], last_errors=r["errors"],
                last_error=r["last_error"], runs=r["runs"], posts=int(counts.get(r["source"], 0)),
                details=json.loads(r["details"] or "{}"),
            )
            for r in rows
        }

    # -- blocks and back-off -----------------------------------------------------------------------

    def source_states(self) -> dict[str, SourceState]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(source_state)).mappings().all()
        return {r["source"]: SourceState(
            source=r["source"], blocked_by=r["blocked_by"], blocked_until=r["blocked_until"],
            blocks_in_row=r["blocks_in_row"], blocks_total=r["blocks_total"], last_blocked_at=r["last_blocked_at"],
        ) for r in rows}

    def record_block(self, source: str, waf: str, backoff_seconds: int) -> SourceState:
        """One more block: back off ``backoff_seconds`` doubled for each earlier block in a row."""
        now = _now()
        with self.engine.begin() as conn:
            row = conn.execute(select(source_state).where(source_state.c.source == source)).mappings().first()
            in_row = (row["blocks_in_row"] if row else 0) + 1
            total = (row["blocks_total"] if row else 0) + 1
            seconds = min(backoff_seconds * 2 ** min(in_row - 1, 20), MAX_BACKOFF_SECONDS)
            values = {"blocked_by": waf, "blocked_until": now + timedelta(seconds=seconds),
                      "blocks_in_row": in_row, "blocks_total": total, "last_blocked_at": now}
            if row is None:
                conn.execute(source_state.insert().values(source=source, **values))
            else:
                conn.execute(update(source_state).where(source_state.c.source == source).values(**values))
        return SourceState(source=source, **values)  # type: ignore[arg-type]

    def clear_block(self, source: str) -> None:
        """A crawl got through: the back-off ends (the total count stays, for the record)."""
        with self.engine.begin() as conn:
            conn.execute(update(source_state).where(source_state.c.source == source).values(
                blocked_by=None, blocked_until=None, blocks_in_row=0))

    def recent_runs(self, limit: int = 10) -> dict[str, list[SourceRun]]:
        """Each source's latest ``limit`` runs, newest first (the daemon's back-off reads them)."""
        rank = func.row_number().over(partition_by=source_runs.c.source, order_by=source_runs.c.id.desc())
        ranked = select(source_runs, rank.label("rank")).subquery()
        query = select(ranked).where(ranked.c.rank <= limit).order_by(ranked.c.source, ranked.c.rank)
        runs: dict[str, list[SourceRun]] = defaultdict(list)
        with self.engine.connect() as conn:
            for r in conn.execute(query).mappings():
                runs[r["source"]].append(SourceRun(
                    id=r["id"], source=r["source"], started_at=r["started_at"], finished_at=r["finished_at"],
                    status=r["status"], items=r["items"], errors=r["errors"],
                    details=json.loads(r["details"] or "{}"), last_error=r["last_error"]))
        return dict(runs)

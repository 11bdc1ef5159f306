"""The index store's interface, one small Protocol per room that uses it, and the records it returns.

A consumer takes the narrowest Protocol that covers what it calls, so the annotation says which part
of the store each room touches:

- `PostWriter` — the crawl's writes of posts: the index-store pipeline (upsert_post, with the
  crawl-start repair `cluster_unassigned` run by crawler/index/writer.py) and the images pipeline
  (media_at: pictures archived before).
- `DigestIndex` — WARC capture and the feed spider's conditional requests: which payloads are archived
  in full (revisits refer to them) and each URL's validators.
- `RunLog` — the source-runs extension and the daemon: runs started and finished, WAF blocks and their
  back-off.
- `ArchiveLog` — archive uploads (crawler/archive/publisher.py) and verify: finished WARC, CDXJ and WACZ
  files and where they went.
- `FeedReader` — the exporters (Atom, JSON Feed, RSS, Hexo): the revision counter, feed scopes, pages
  and heads, what changed since a revision, and the stories and posts in full.
- `HealthReader` — /health, `feedarchiver sources` and the daemon's polling: per-source health, block
  state and recent runs.
- `ArchiveIndex` — verify and snapshots (web replay): captures, pictures, payload records, post count.
- `IndexStore` — all of them: what `SqlIndexStore` implements and `open_index_store` returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from crawler.items import PayloadRecord, PostItem, WarcRef


@dataclass(frozen=True, kw_only=True)
class PostUrl:
    url: str
    source: str
    role: str
    feed_entry_id: str | None
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True, kw_only=True)
class StoredPost:
    """One text, stored once per content hash, with every URL it was seen at."""

    id: int
    key: str  # stable: the entry id survives re-exports and content edits
    content_hash: str
    source: str
    url: str
    original_url: str | None
    has_original: bool = False  # the publisher's own page is among its URLs
    title: str
    author: str | None
    source_name: str | None
    published: datetime | None
    updated: datetime
    categories: list[str]
    body_html: str
    text: str
    summary: str | None
    lead_image: str | None
    first_seen: datetime
    story_key: str | None = None  # the story it belongs to (None only while its story assignment failed)
    urls: list[PostUrl] = field(default_factory=list)
    captures: list[WarcRef] = field(default_factory=list)

    @property
    def sources(self) -> set[str]:
        return {u.source for u in self.urls}

    @property
    def alternate(self) -> str:
        """The page readers should open: the original when known, else where it was seen."""
        return self.original_url or self.url


@dataclass(frozen=True, kw_only=True)
class StoredStory:
    """Near-duplicate posts of one story; the representative stands for it in all.atom."""

    id: int
    key: str  # stable: the key of the post that founded the story; later copies never change it
    representative: StoredPost  # the original publisher's copy when known, else the earliest post
    posts: list[StoredPost]  # the representative first, then the others in the order they were first seen


@dataclass(frozen=True, kw_only=True)
class EntryHead:
    """A story or a post as a feed lists it, without its text: an export loads in full only the entries
    of documents that changed."""

    id: int  # the story's id, or the post's in a source's feed
    key: str
    revision: int  # the index revision at which it last changed (crawler/index/sql.py `revisions`)
    first_seen: datetime  # first seen in that feed: a story when founded (in a category: when a source
    # of the category first showed it), a source's post when that source first showed it
    published: datetime | None


@dataclass(frozen=True)
class ChangedScopes:
    """What changed after some index revision, as far as feeds are concerned."""

    stories: bool  # some story (so all.atom)
    post_sources: set[str]  # sources whose feeds show a changed post
    story_sources: set[str]  # sources that showed some post of a changed story (so its category feeds)

    def affects(self, scope: FeedScope) -> bool:
        if scope.kind == "post":
            return bool(self.post_sources & set(scope.sources or ()))
        return self.stories if scope.sources is None else bool(self.story_sources & set(scope.sources))


@dataclass(frozen=True)
class FeedScope:
    """What a feed lists: every story; the stories some sources showed (a category); or the posts of
    ``sources`` (kind "post": a source's feed)."""

    kind: Literal["story", "post"]
    sources: tuple[str, ...] | None = None  # None: every story


@dataclass(frozen=True, kw_only=True)
class StoredMedia:
    """One archived picture, stored once by content."""

    sha256: str
    path: str  # under DATA/media
    media_type: str
    width: int
    height: int
    size: int
    first_url: str
    first_seen: datetime
    url: str  # where the post (or, listing all media, the first post) showed it


@dataclass(frozen=True)
class UpsertResult:
    post_id: int
    outcome: str  # "new", "duplicate" (same content seen at another URL), "seen" (same URL again), "changed"
    story_id: int | None = None
    # "new" (founded a story), "joined" (a near-duplicate of a stored story), "merged" (bridged stories),
    # "same" (an existing post: its story is unchanged)
    story_outcome: str = ""


@dataclass(frozen=True, kw_only=True)
class SourceHealth:
    source: str
    last_started: datetime | None
    last_finished: datetime | None
    last_status: str | None
    last_items: int
    last_errors: int
    last_error: str | None
    runs: int
    posts: int
    details: dict[str, Any] = field(default_factory=dict)  # last run's per-source counters


@dataclass(frozen=True, kw_only=True)
class SourceState:
    """Whether a source is blocked by a WAF and backing off."""

    source: str
    blocked_by: str | None
    blocked_until: datetime | None
    blocks_in_row: int
    blocks_total: int
    last_blocked_at: datetime | None

    def backing_off(self, now: datetime) -> bool:
        return self.blocked_until is not None and self.blocked_until > now


@dataclass(frozen=True, kw_only=True)
class Validators:
    """What the last archived answer for a URL said about itself, for a conditional request."""

    url: str
    etag: str | None
    last_modified: str | None
    digest: str  # the payload it carried (in the digest index)


@dataclass(frozen=True, kw_only=True)
class ArchiveFile:
    """A finished WARC, CDXJ or WACZ file, and whether it was uploaded."""

    kind: str  # "warc", "cdxj" or "wacz"
    name: str
    size: int
    sha256: str
    uploaded_to: str | None
    uploaded_at: datetime | None
    deleted_locally: bool
    last_error: str | None


@dataclass(frozen=True, kw_only=True)
class SourceRun:
    """One crawl of one source, as recorded in ``source_runs``."""

    id: int
    source: str
    started_at: datetime
    finished_at: datetime | None
    status: str  # running ok errors failed blocked backing_off shutdown; from the daemon: crashed timeout interrupted
    items: int
    errors: int
    details: dict[str, Any] = field(default_factory=dict)
    last_error: str | None = None


class Closable(Protocol):
    def close(self) -> None: ...


class PostWriter(Closable, Protocol):
    """The crawl's writes of posts (index-store and images pipelines)."""

    def upsert_post(self, item: PostItem) -> UpsertResult: ...

    def cluster_unassigned(self) -> int: ...

    def media_at(self, url: str) -> StoredMedia | None: ...

    def has_url(self, url: str, source: str) -> bool: ...


class DigestIndex(Closable, Protocol):
    """Payloads archived in full and URL validators (WARC capture, conditional requests)."""

    def payload_record(self, digest: str) -> PayloadRecord | None: ...

    def add_payload_record(self, record: PayloadRecord) -> bool: ...

    def add_payload_records(self, records: list[PayloadRecord]) -> None: ...

    def payload_records(self) -> list[PayloadRecord]: ...

    def validators(self, url: str) -> Validators | None: ...

    def set_validators(self, validators: Validators) -> None: ...


class RunLog(Closable, Protocol):
    """Runs and blocks per source (the source-runs extension, the daemon)."""

    def start_run(self, source: str) -> int: ...

    def finish_run(self, run_id: int, *, status: str, items: int, errors: int,
                   details: dict[str, Any], last_error: str | None) -> None: ...

    def source_states(self) -> dict[str, SourceState]: ...

    def record_block(self, source: str, waf: str, backoff_seconds: int) -> SourceState: ...

    def clear_block(self, source: str) -> None: ...


class ArchiveLog(Closable, Protocol):
    """Finished archive files and their uploads (the archive publisher, verify)."""

    def add_archive_file(self, kind: str, name: str, size: int, sha256: str) -> None: ...

    def archived_files(self, *, pending: bool = False) -> list[ArchiveFile]: ...

    def mark_uploaded(self, name: str, uploaded_to: str, *, deleted_locally: bool) -> None: ...

    def mark_upload_failed(self, name: str, error: str) -> None: ...


class FeedReader(Closable, Protocol):
    """What the exporters read."""

    def revision(self) -> int: ...

    def count_stories(self) -> int: ...

    def feed_sources(self) -> list[str]: ...

    def feed_pages(self, scope: FeedScope, length: int) -> tuple[int, list[str]]: ...

    def feed_page(self, scope: FeedScope, length: int, page: int) -> list[EntryHead]: ...

    def feed_newest(self, scope: FeedScope, length: int) -> list[EntryHead]: ...

    def story_heads(self, *, changed_since: int | None = None) -> list[EntryHead]: ...

    def changed_since(self, revision: int) -> ChangedScopes: ...

    def stories_gone(self, *, since: int = 0) -> list[str]: ...

    def load_stories(self, ids: list[int]) -> list[StoredStory]: ...

    def load_posts(self, ids: list[int]) -> list[StoredPost]: ...

    def posts(self, *, source: str | None = None, limit: int | None = None) -> list[StoredPost]: ...

    def stories(self, *, limit: int | None = None) -> list[StoredStory]: ...


class HealthReader(Closable, Protocol):
    """Per-source health (/health, `feedarchiver sources`, the daemon's polling)."""

    def source_health(self) -> dict[str, SourceHealth]: ...

    def source_states(self) -> dict[str, SourceState]: ...

    def recent_runs(self, limit: int = 10) -> dict[str, list[SourceRun]]: ...


class ArchiveIndex(Closable, Protocol):
    """What verify and snapshots (replay) read: captures, pictures, payload records."""

    def all_captures(self) -> list[WarcRef]: ...

    def captures_at(self, url: str) -> list[WarcRef]: ...

    def media(self, post_id: int | None = None) -> list[StoredMedia]: ...

    def payload_records(self) -> list[PayloadRecord]: ...

    def payload_record(self, digest: str) -> PayloadRecord | None: ...

    def count_posts(self) -> int: ...


class IndexStore(PostWriter, DigestIndex, RunLog, ArchiveLog, FeedReader, HealthReader, ArchiveIndex, Protocol):
    """The whole store: every room's part (SqlIndexStore)."""

"""The index store: posts (stored once per content hash) in story clusters, the URLs they were seen
at, their WARC captures, and per-source crawl runs. SQLite by default; PostgreSQL by URL.

schema.py holds the tables, sql.py the store on them, stories.py the story clusterer, store.py the
Protocols each room of the product takes, writer.py the crawl's writer thread, migrate.py (with
migrations/) the schema versions."""

from __future__ import annotations

from crawler.content.neardup import DEFAULT_THRESHOLD
from crawler.index.sql import SqlIndexStore
from crawler.index.store import (
    ArchiveFile,
    ArchiveIndex,
    ArchiveLog,
    ChangedScopes,
    DigestIndex,
    EntryHead,
    FeedReader,
    FeedScope,
    HealthReader,
    IndexStore,
    PostUrl,
    PostWriter,
    RunLog,
    SourceHealth,
    SourceRun,
    SourceState,
    StoredMedia,
    StoredPost,
    StoredStory,
    UpsertResult,
    Validators,
)

__all__ = ["ArchiveFile", "ArchiveIndex", "ArchiveLog", "ChangedScopes", "DigestIndex", "EntryHead", "FeedReader",
           "FeedScope", "HealthReader", "IndexStore", "PostUrl", "PostWriter", "RunLog", "SourceHealth", "SourceRun",
           "SourceState", "SqlIndexStore", "StoredMedia", "StoredPost", "StoredStory", "UpsertResult", "Validators",
           "open_index_store"]


def open_index_store(url: str, *, story_threshold: float = DEFAULT_THRESHOLD) -> IndexStore:
    """Open the store a URL names (sqlite:///PATH or postgresql://…)."""
    return SqlIndexStore(url, story_threshold=story_threshold)

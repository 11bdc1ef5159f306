"""The index's tables: one schema for SQLite and PostgreSQL (SQLAlchemy Core).

What the current code reads and writes. Alembic (crawler/index/migrations) brings a stored index to
this layout; a change here goes with a new revision there.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime reached the index store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

posts = Table(
    "posts", metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("content_hash", String(64), nullable=False, unique=True),
    Column("source", String(64), nullable=False),
    Column("url", Text, nullable=False),
    Column("original_url", Text),
    Column("has_original", Boolean, nullable=False, default=False),
    Column("title", Text, nullable=False),
    Column("author", Text),
    Column("source_name", Text),
    Column("published", UtcDateTime),
    Column("updated", UtcDateTime, nullable=False),
    Column("categories", Text, nullable=False, default="[]"),
    Column("body_html", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("summary", Text),
    Column("lead_image", Text),
    Column("first_seen", UtcDateTime, nullable=False),
    # The story cluster (crawler/index/stories.py); NULL only while its assignment failed (the next crawl's
    # start clusters it: SqlIndexStore.cluster_unassigned).
    Column("story_id", Integer, ForeignKey("stories.id"), index=True),
    # The index revision (see `revisions`) at which anything an exporter shows of the post last changed.
    Column("revision", BigInteger, nullable=False, default=0, server_default="0", index=True),
)

post_urls = Table(
    "post_urls", metadata,
    Column("id", Integer, primary_key=True),
    Column("post_id", Integer, ForeignKey("posts.id"), nullable=False, index=True),
    Column("url", Text, nullable=False, index=True),
    Column("source", String(64), nullable=False, index=True),
    Column("role", String(16), nullable=False),
    Column("feed_entry_id", Text),
    Column("first_seen", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
    # A URL seen by two sources (an original both in a feed and followed from a copy) counts for both.
    UniqueConstraint("url", "source"),
)

captures = Table(
    "captures", metadata,
    Column("id", Integer, primary_key=True),
    Column("post_id", Integer, ForeignKey("posts.id"), index=True),
    # Indexed: `serve` looks snapshots up by URL (/web/TIMESTAMP/URL).
    Column("url", Text, nullable=False, index=True),
    Column("warc_file", Text, nullable=False),
    Column("offset", Integer, nullable=False),
    Column("length", Integer, nullable=False),
    Column("record_id", String(80), nullable=False, index=True),
    Column("captured_at", String(40), nullable=False),
    # One record may be the capture of several posts: a feed document of every post built from its entries
    # (migration 0004; before, only the first such post had it).
    UniqueConstraint("record_id", "post_id", name="uq_captures_record_post"),
)

# Archived pictures, one row per content (the file is DATA/media/<path>, named by its sha256).
media = Table(
    "media", metadata,
    Column("id", Integer, primary_key=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("path", Text, nullable=False),
    Column("media_type", String(64), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("size", Integer, nullable=False),
    Column("first_url", Text, nullable=False, index=True),
    Column("first_seen", UtcDateTime, nullable=False),
)

# Which post shows which picture, at which URL and position (the first copy that showed it).
post_media = Table(
    "post_media", metadata,
    Column("id", Integer, primary_key=True),
    Column("post_id", Integer, ForeignKey("posts.id"), nullable=False, index=True),
    Column("media_id", Integer, ForeignKey("media.id"), nullable=False, index=True),
    Column("url", Text, nullable=False, index=True),
    Column("position", Integer, nullable=False),
    UniqueConstraint("post_id", "media_id"),
)

# -- story clusters (crawler/index/stories.py) ----------------------------------------------------------

stories = Table(
    "stories", metadata,
    Column("id", Integer, primary_key=True),
    # Stable: the key of the post that founded the story; the Atom entry id of all.atom is built from it.
    Column("key", String(64), nullable=False, unique=True),
    # The representative: the original publisher's copy when known, else the earliest post.
    Column("post_id", Integer, ForeignKey("posts.id", use_alter=True), nullable=False),
    Column("first_seen", UtcDateTime, nullable=False),
    # The index revision at which the story or any of its posts last changed: what an export compares.
    Column("revision", BigInteger, nullable=False, default=0, server_default="0", index=True),
)

# Stories merged into another: an export deletes what it published of them (their Hexo posts).
stories_gone = Table(
    "stories_gone", metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(64), nullable=False),
    Column("revision", BigInteger, index=True),  # stamped by the upsert that merged it away
)

# One row: the index's revision counter. Every upsert that changes what an export shows takes the next
# value and stamps it on the post and its story, so an export re-renders only what carries a new stamp.
revisions = Table(
    "revisions", metadata,
    Column("id", Integer, primary_key=True),
    Column("value", BigInteger, nullable=False),
)

post_signatures = Table(
    "post_signatures", metadata,
    Column("post_id", Integer, ForeignKey("posts.id"), primary_key=True),
    Column("shingles", Integer, nullable=False),  # distinct shingles the signature was computed over
    Column("signature", LargeBinary, nullable=False),  # MinHash, NUM_PERM little-endian uint32
)

# The LSH index: one row per (band bucket, post); a lookup is an index search on `bucket`.
post_bands = Table(
    "post_bands", metadata,
    Column("bucket", BigInteger, nullable=False),
    Column("post_id", Integer, ForeignKey("posts.id"), nullable=False),
    PrimaryKeyConstraint("bucket", "post_id"),
    sqlite_with_rowid=False,
)

# Short lines per site and how many stories of that site used them: from three on, they are template.
site_lines = Table(
    "site_lines", metadata,
    Column("site", String(255), nullable=False),
    Column("line_key", BigInteger, nullable=False),
    Column("story_id", Integer, nullable=False),  # the last story that used the line
    Column("stories", Integer, nullable=False),
    PrimaryKeyConstraint("site", "line_key"),
    sqlite_with_rowid=False,
)

source_runs = Table(
    "source_runs", metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(64), nullable=False, index=True),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("status", String(16), nullable=False),
    Column("items", Integer, nullable=False, default=0),
    Column("errors", Integer, nullable=False, default=0),
    Column("details", Text, nullable=False, default="{}"),
    Column("last_error", Text),
)

# Per-source state that outlives a run: WAF blocks and the back-off they impose.
source_state = Table(
    "source_state", metadata,
    Column("source", String(64), primary_key=True),
    Column("blocked_by", String(32)),  # the WAF of the last block; NULL once a crawl gets through
    Column("blocked_until", UtcDateTime),
    Column("blocks_in_row", Integer, nullable=False, default=0),
    Column("blocks_total", Integer, nullable=False, default=0),
    Column("last_blocked_at", UtcDateTime),
)

# The digest index: every payload archived in full, once, so a later capture of the same bytes (at any
# URL, in any run) is written as a revisit of it. Only response records go in: never refer to a revisit.
payload_digests = Table(
    "payload_digests", metadata,
    Column("id", Integer, primary_key=True),
    Column("digest", String(64), nullable=False, unique=True),
    Column("url", Text, nullable=False),
    Column("captured_at", String(40), nullable=False),
    Column("record_id", String(80), nullable=False),
    Column("warc_file", Text, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("length", BigInteger, nullable=False),
)

# What the last archived answer for a URL said about itself (ETag, Last-Modified): the conditional
# request the next poll sends. Keyed by a hash because URLs outgrow PostgreSQL's btree limit.
url_validators = Table(
    "url_validators", metadata,
    Column("id", Integer, primary_key=True),
    Column("url_key", String(40), nullable=False, unique=True),
    Column("url", Text, nullable=False),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("digest", String(64), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Finished archive files (WARC, CDXJ, WACZ) and where they were uploaded: an upload that failed is
# still pending here and is retried on the next run.
archive_files = Table(
    "archive_files", metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(8), nullable=False),
    Column("name", String(255), nullable=False, unique=True),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("uploaded_to", Text),
    Column("uploaded_at", UtcDateTime),
    Column("deleted_locally", Boolean, nullable=False, default=False),
    Column("last_error", Text),
)

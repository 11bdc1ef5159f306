"""The baseline revision's schema, frozen: the index as it was when versions began (commit cb5cc80).

Never edit these tables to follow crawler/index/schema.py: a schema change is a new revision in
versions/. `repair` brings an index made before versions to this layout in place, including the
layouts before it that the store used to fix on every open (no story clusters, no revisions, no
index on captures.url).
"""

from __future__ import annotations

import logging

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection

logger = logging.getLogger(__name__)

metadata = MetaData()

posts = Table(
    "posts", metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("content_hash", String(64), nullable=False, unique=True),
    Column("source", String(64), nullable=False),
    Column("url", Text, nullable=False),
    Column("original_url", Text),
    Column("has_original", Boolean, nullable=False),
    Column("title", Text, nullable=False),
    Column("author", Text),
    Column("source_name", Text),
    Column("published", DateTime(timezone=True)),
    Column("updated", DateTime(timezone=True), nullable=False),
    Column("categories", Text, nullable=False),
    Column("body_html", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("summary", Text),
    Column("lead_image", Text),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("story_id", Integer, ForeignKey("stories.id"), index=True),
    Column("revision", BigInteger, nullable=False, server_default="0", index=True),
)

post_urls = Table(
    "post_urls", metadata,
    Column("id", Integer, primary_key=True),
    Column("post_id", Integer, ForeignKey("posts.id"), nullable=False, index=True),
    Column("url", Text, nullable=False, index=True),
    Column("source", String(64), nullable=False, index=True),
    Column("role", String(16), nullable=False),
    Column("feed_entry_id", Text),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    UniqueConstraint("url", "source"),
)

captures = Table(
    "captures", metadata,
    Column("id", Integer, primary_key=True),
    Column("post_id", Integer, ForeignKey("posts.id"), index=True),
    Column("url", Text, nullable=False, index=True),
    Column("warc_file", Text, nullable=False),
    Column("offset", Integer, nullable=False),
    Column("length", Integer, nullable=False),
    Column("record_id", String(80), nullable=False, unique=True),
    Column("captured_at", String(40), nullable=False),
)

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
    Column("first_seen", DateTime(timezone=True), nullable=False),
)

post_media = Table(
    "post_media", metadata,
    Column("id", Integer, primary_key=True),
    Column("post_id", Integer, ForeignKey("posts.id"), nullable=False, index=True),
    Column("media_id", Integer, ForeignKey("media.id"), nullable=False, index=True),
    Column("url", Text, nullable=False, index=True),
    Column("position", Integer, nullable=False),
    UniqueConstraint("post_id", "media_id"),
)

stories = Table(
    "stories", metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("post_id", Integer, ForeignKey("posts.id", use_alter=True), nullable=False),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("revision", BigInteger, nullable=False, server_default="0", index=True),
)

stories_gone = Table(
    "stories_gone", metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(64), nullable=False),
    Column("revision", BigInteger, index=True),
)

revisions = Table(
    "revisions", metadata,
    Column("id", Integer, primary_key=True),
    Column("value", BigInteger, nullable=False),
)

post_signatures = Table(
    "post_signatures", metadata,
    Column("post_id", Integer, ForeignKey("posts.id"), primary_key=True),
    Column("shingles", Integer, nullable=False),
    Column("signature", LargeBinary, nullable=False),
)

post_bands = Table(
    "post_bands", metadata,
    Column("bucket", BigInteger, nullable=False),
    Column("post_id", Integer, ForeignKey("posts.id"), nullable=False),
    PrimaryKeyConstraint("bucket", "post_id"),
    sqlite_with_rowid=False,
)

site_lines = Table(
    "site_lines", metadata,
    Column("site", String(255), nullable=False),
    Column("line_key", BigInteger, nullable=False),
    Column("story_id", Integer, nullable=False),
    Column("stories", Integer, nullable=False),
    PrimaryKeyConstraint("site", "line_key"),
    sqlite_with_rowid=False,
)

source_runs = Table(
    "source_runs", metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(64), nullable=False, index=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("status", String(16), nullable=False),
    Column("items", Integer, nullable=False),
    Column("errors", Integer, nullable=False),
    Column("details", Text, nullable=False),
    Column("last_error", Text),
)

source_state = Table(
    "source_state", metadata,
    Column("source", String(64), primary_key=True),
    Column("blocked_by", String(32)),
    Column("blocked_until", DateTime(timezone=True)),
    Column("blocks_in_row", Integer, nullable=False),
    Column("blocks_total", Integer, nullable=False),
    Column("last_blocked_at", DateTime(timezone=True)),
)

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

url_validators = Table(
    "url_validators", metadata,
    Column("id", Integer, primary_key=True),
    Column("url_key", String(40), nullable=False, unique=True),
    Column("url", Text, nullable=False),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("digest", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

archive_files = Table(
    "archive_files", metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(8), nullable=False),
    Column("name", String(255), nullable=False, unique=True),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("uploaded_to", Text),
    Column("uploaded_at", DateTime(timezone=True)),
    Column("deleted_locally", Boolean, nullable=False),
    Column("last_error", Text),
)


def create(conn: Connection) -> None:
    """The baseline on an empty database (tables already there are left as they are)."""
    metadata.create_all(conn)
    if conn.execute(select(revisions.c.id).where(revisions.c.id == 1)).first() is None:
        conn.execute(revisions.insert().values(id=1, value=0))


def drop(conn: Connection) -> None:
    metadata.drop_all(conn)


def repair(conn: Connection) -> None:
    """An index made before versions, brought to the baseline: missing tables, columns and indexes added
    (create_all adds tables, not columns). Its posts without a story are clustered after the upgrade."""
    create(conn)
    if "story_id" not in {c["name"] for c in inspect(conn).get_columns("posts")}:
        logger.info("Index predates story clusters: adding posts.story_id")
        conn.execute(text("ALTER TABLE posts ADD COLUMN story_id INTEGER REFERENCES stories (id)"))
        next(i for i in posts.indexes if i.name == "ix_posts_story_id").create(conn)
    for table in (posts, stories):
        if "revision" not in {c["name"] for c in inspect(conn).get_columns(table.name)}:
            logger.info("Index predates revisions: adding %s.revision", table.name)
            conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN revision BIGINT NOT NULL DEFAULT 0"))
            next(i for i in table.indexes if i.name == f"ix_{table.name}_revision").create(conn)
    if "ix_captures_url" not in {i["name"] for i in inspect(conn).get_indexes("captures")}:
        next(i for i in captures.indexes if i.name == "ix_captures_url").create(conn)

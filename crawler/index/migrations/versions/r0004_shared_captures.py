"""One WARC record may be the capture of several posts (a feed document, of every post built from its
entries): captures are unique per record and post, not per record.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

from crawler.index.schema import captures

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # SQLite cannot drop a constraint: the table is made anew from its current definition, rows copied
        # (and its indexes made again: the copy has none).
        with op.batch_alter_table("captures", recreate="always", copy_from=captures):
            pass
        for index in captures.indexes:
            index.create(bind, checkfirst=True)
        return
    op.drop_constraint("captures_record_id_key", "captures", type_="unique")  # PostgreSQL's name for it
    op.create_unique_constraint("uq_captures_record_post", "captures", ["record_id", "post_id"])
    op.create_index("ix_captures_record_id", "captures", ["record_id"])


def downgrade() -> None:
    raise NotImplementedError("posts sharing a capture cannot all keep it under the old key")

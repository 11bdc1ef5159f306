"""The search index (crawler/index/search.py): its tables, filled from every post already stored.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

from crawler.index import search

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    conn = op.get_bind()
    search.create(conn)
    search.reindex(conn)


def downgrade() -> None:
    search.drop(op.get_bind())

"""The baseline: APScheduler 3's job table as its SQLAlchemyJobStore creates it (the table name is the
setting schedule_store_table, passed in by schedules/store.py). A table APScheduler made already is
left as it is, and this revision stamped on it.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import Column, Float, LargeBinary, MetaData, Table, Unicode

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _jobs() -> Table:
    name = op.get_context().opts["job_table"]
    return Table(name, MetaData(), Column("id", Unicode(191), primary_key=True),
                 Column("next_run_time", Float(25), index=True), Column("job_state", LargeBinary, nullable=False))


def upgrade() -> None:
    _jobs().create(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    _jobs().drop(op.get_bind(), checkfirst=True)

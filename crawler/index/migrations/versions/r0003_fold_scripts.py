"""Text folded to one script before hashing and shingling (crawler/content/text.py fold_script): every
post re-signed, its content hash, MinHash bands, opening bands and site template lines recomputed
(crawler/index/stories.py resign_all). The text stored and shown is not touched.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import logging

from alembic import op

from crawler.index.stories import resign_all

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

logger = logging.getLogger(__name__)


def upgrade() -> None:
    done = resign_all(op.get_bind())
    if done:
        logger.info("Re-signed %d posts with text folded to one script", done)


def downgrade() -> None:
    raise NotImplementedError("folded signatures cannot be unfolded; restore the index from a backup")

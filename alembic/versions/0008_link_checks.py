"""the latest link check of the knowledge base's sources (`wegwijs check-links`), for the
editors' review page

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "link_checks",
        sa.Column("url", sa.String(2000), primary_key=True),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(120), nullable=False),
        sa.Column("checked_at", WHEN, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("link_checks")

"""turn events for the editors' pages (bot/insights/)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 19:20:00
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "turn_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("conversation", sa.String(32), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("topic", sa.String(32), nullable=True),
        sa.Column("entry_id", sa.String(80), nullable=True),
        sa.Column("offered", sa.String(400), nullable=False),
        sa.Column("chosen", sa.String(80), nullable=True),
        sa.Column("helpful", sa.Boolean(), nullable=True),
        sa.Column("escalated_after", sa.Boolean(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("vector", sa.LargeBinary(), nullable=True),
    )
    op.create_index("ix_turn_events_at", "turn_events", ["at"])
    op.create_index("ix_turn_events_week_language", "turn_events", ["week", "language"])
    op.create_index("ix_turn_events_outcome_at", "turn_events", ["outcome", "at"])
    op.create_index("ix_turn_events_entry_at", "turn_events", ["entry_id", "at"])
    op.create_index("ix_turn_events_conversation_at", "turn_events", ["conversation", "at"])


def downgrade() -> None:
    op.drop_table("turn_events")

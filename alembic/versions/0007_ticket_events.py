"""ticket events (a ticket's history and the staff workspace's live updates), and the
answer's origin and the closing reason on tickets

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 22:40:00
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "ticket_id",
            sa.Integer(),
            sa.ForeignKey("tickets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(80), nullable=True),
        sa.Column("detail", sa.String(200), nullable=True),
    )
    op.create_index("ix_ticket_events_ticket_id", "ticket_events", ["ticket_id"])
    op.create_index("ix_ticket_events_at", "ticket_events", ["at"])
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("close_reason", sa.String(200), nullable=True))
        batch.add_column(sa.Column("answer_original", sa.Text(), nullable=True))
        batch.add_column(sa.Column("answer_source_language", sa.String(2), nullable=True))
        batch.add_column(
            sa.Column(
                "answer_machine_translated",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )
        batch.add_column(sa.Column("answer_entry_id", sa.String(80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        for column in (
            "answer_entry_id",
            "answer_machine_translated",
            "answer_source_language",
            "answer_original",
            "close_reason",
        ):
            batch.drop_column(column)
    op.drop_table("ticket_events")

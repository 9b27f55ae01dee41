"""crisis messages waiting for the newcomers decision

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 08:45:53.669871
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("crisis_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("crisis_question", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("crisis_question")
        batch_op.drop_column("crisis_at")

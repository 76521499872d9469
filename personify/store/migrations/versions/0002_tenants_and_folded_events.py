"""Tenants (the control plane) and events.folded: whether an event is in its user's
profile yet, so a batch stored just before a crash is folded in on the next try, once.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret_key_sha256", sa.String(length=64), nullable=False),
        sa.Column("publishable_key_sha256", sa.String(length=64), nullable=False),
        sa.Column("signing_key", sa.String(length=64), nullable=False),
        sa.Column("origins", sa.JSON(), nullable=False),
        sa.Column("rate_limit_per_minute", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id"),
        sa.UniqueConstraint("publishable_key_sha256"),
        sa.UniqueConstraint("secret_key_sha256"),
    )
    with op.batch_alter_table("events") as batch_op:
        # existing events were folded as they arrived
        batch_op.add_column(
            sa.Column("folded", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.create_index("ix_events_user_folded", ["user_id", "folded"])


def downgrade() -> None:
    with op.batch_alter_table("events") as batch_op:
        batch_op.drop_index("ix_events_user_folded")
        batch_op.drop_column("folded")
    op.drop_table("tenants")

"""Experiments: their definitions, declared metrics, first exposures and served responses.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("key", sa.String(length=64), primary_key=True),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("stopped_at", sa.Float()),
    )
    op.create_table(
        "metric_definitions",
        sa.Column("name", sa.String(length=64), primary_key=True),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
    )
    op.create_table(
        "exposures",
        sa.Column("experiment", sa.String(length=64), primary_key=True),
        sa.Column("user_id", sa.String(length=128), primary_key=True),
        sa.Column("variant", sa.String(length=64), nullable=False),
        sa.Column("first_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_exposures_user", "exposures", ["user_id"])
    op.create_table(
        "served",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("experiment", sa.String(length=64), nullable=False),
        sa.Column("variant", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("fallback", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_served_experiment", "served", ["experiment", "user_id"])
    op.create_index("ix_served_user", "served", ["user_id"])


def downgrade() -> None:
    for table in ("served", "exposures", "metric_definitions", "experiments"):
        op.drop_table(table)

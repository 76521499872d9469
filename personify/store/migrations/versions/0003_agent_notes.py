"""agent_notes: the agent's notes on a user (interests and dislikes said in chat, the
onboarding question pending), moved out of the user's traits, where a PUT of new traits
erased them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

MOVED = ("chat_interests", "chat_dislikes", "elicit_asked")


def upgrade() -> None:
    notes = op.create_table(
        "agent_notes",
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("interests", sa.JSON(), nullable=False),
        sa.Column("dislikes", sa.JSON(), nullable=False),
        sa.Column("asking", sa.String(length=32), nullable=True),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    users = sa.table("users", sa.column("user_id", sa.String), sa.column("traits", sa.JSON))
    conn = op.get_bind()
    now = time.time()
    for user_id, traits in conn.execute(sa.select(users.c.user_id, users.c.traits)).all():
        traits = dict(traits or {})
        if not any(key in traits for key in MOVED):
            continue
        row = {
            "user_id": user_id,
            "interests": list(traits.pop("chat_interests", [])),
            "dislikes": list(traits.pop("chat_dislikes", [])),
            "asking": traits.pop("elicit_asked", None),
            "updated_at": now,
        }
        conn.execute(notes.insert(), [row])
        conn.execute(users.update().where(users.c.user_id == user_id).values(traits=traits))


def downgrade() -> None:
    op.drop_table("agent_notes")

"""The events index by (user, time) also holds the event type, so an experiment's
outcomes (events of some types after each user's exposure) are counted from the index
alone: 3.3 s to 0.8 s on a million events.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_user_ts_type", "events", ["user_id", "ts", "type"])
    op.drop_index("ix_events_user_ts", table_name="events")


def downgrade() -> None:
    op.create_index("ix_events_user_ts", "events", ["user_id", "ts"])
    op.drop_index("ix_events_user_ts_type", table_name="events")

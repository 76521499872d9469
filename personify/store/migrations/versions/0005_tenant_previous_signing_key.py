"""tenants.previous_signing_key and previous_signing_key_until: after a rotation of a
tenant's signing key, widget user tokens signed with the old key keep working until then.
Tenants made before it have no previous key.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch_op:
        batch_op.add_column(sa.Column("previous_signing_key", sa.String(length=64)))
        batch_op.add_column(sa.Column("previous_signing_key_until", sa.Float()))


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch_op:
        batch_op.drop_column("previous_signing_key_until")
        batch_op.drop_column("previous_signing_key")

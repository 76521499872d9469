"""tenants.product_name: the product a tenant's end users are welcomed to (the agent speaks
for it); tenants made before it get their own name.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch_op:
        batch_op.add_column(sa.Column("product_name", sa.String(length=200), nullable=True))
    tenants = sa.table(
        "tenants", sa.column("name", sa.String), sa.column("product_name", sa.String)
    )
    op.get_bind().execute(tenants.update().values(product_name=tenants.c.name))
    with op.batch_alter_table("tenants") as batch_op:
        batch_op.alter_column("product_name", existing_type=sa.String(length=200), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch_op:
        batch_op.drop_column("product_name")

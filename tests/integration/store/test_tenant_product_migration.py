"""Revision 0004: tenants get a product_name; those made before it get their own name, so
their users are welcomed to the same name as before, never to Personify."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from personify.store import migrations
from personify.store.database import make_engine
from personify.store.schema import tenants
from personify.store.tenants import TenantRegistry


def test_tenants_made_before_0004_get_their_name_as_product_name(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'control.db'}"
    old = create_engine(url)
    with old.connect() as conn:
        command.upgrade(migrations.config(conn), "0003")
        row = {
            "tenant_id": "t0123456789abcdef",
            "name": "Acme Corp",
            "secret_key_sha256": "a" * 64,
            "publishable_key_sha256": "b" * 64,
            "signing_key": "c" * 64,
            "origins": [],
            "rate_limit_per_minute": None,
            "created_at": 1.0,
        }
        conn.execute(tenants.insert().values(**row))  # the columns 0003 has
        conn.commit()
    old.dispose()

    engine = make_engine(url)  # migrates to the newest revision
    try:
        assert migrations.current(engine) == migrations.head()
        tenant = TenantRegistry(engine).get("t0123456789abcdef")
        assert tenant is not None and tenant.product_name == "Acme Corp"
        made = TenantRegistry(engine).create("Globex", [], product_name="Globex Cloud")
        assert made.tenant.product_name == "Globex Cloud"
    finally:
        engine.dispose()

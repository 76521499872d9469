"""Revision 0005: tenants get room for a previous signing key; those made before it have
none, so their widget tokens verify with their one key as before, and they can rotate."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from personify.store import migrations
from personify.store.database import make_engine
from personify.store.schema import tenants
from personify.store.tenants import TenantRegistry


def test_tenants_made_before_0005_keep_their_key_and_can_rotate(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'control.db'}"
    old = create_engine(url)
    with old.connect() as conn:
        command.upgrade(migrations.config(conn), "0004")
        row = {
            "tenant_id": "t0123456789abcdef",
            "name": "Acme Corp",
            "product_name": "Acme Corp",
            "secret_key_sha256": "a" * 64,
            "publishable_key_sha256": "b" * 64,
            "signing_key": "c" * 64,
            "origins": [],
            "rate_limit_per_minute": None,
            "created_at": 1.0,
        }
        conn.execute(tenants.insert().values(**row))  # the columns 0004 has
        conn.commit()
    old.dispose()

    engine = make_engine(url)  # migrates to the newest revision
    try:
        registry = TenantRegistry(engine)
        tenant = registry.get("t0123456789abcdef")
        assert tenant is not None and tenant.signing_keys(now=2.0) == ("c" * 64,)
        rotated = registry.rotate("t0123456789abcdef", grace_seconds=60, now=100.0)
        assert rotated is not None and rotated.signing_key != "c" * 64
        assert rotated.signing_keys(now=159.0) == (rotated.signing_key, "c" * 64)
        assert rotated.signing_keys(now=160.0) == (rotated.signing_key,)
    finally:
        engine.dispose()

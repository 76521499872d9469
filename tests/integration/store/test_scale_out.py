"""The same code on the servers used at scale: a real Chroma server (`chroma run`) and
PostgreSQL, chosen by PERSONIFY_CHROMA_URL and PERSONIFY_DATABASE_URL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from personify.demo import load_demo
from personify.parts import SharedParts
from personify.privacy.redactor import PresidioRedactor
from personify.retrieval.embeddings import MiniLMEmbedder
from personify.service import Personify
from personify.settings import Settings, load_settings
from tests.servers import free_port

pytestmark = pytest.mark.slow


def exercise(settings: Settings, embedder: MiniLMEmbedder, redactor: PresidioRedactor) -> None:
    service = Personify(settings, SharedParts(settings, presidio=redactor, embedder=embedder))
    try:
        assert load_demo(service)
        batch = [{"event_id": "x1", "user_id": "zoe", "type": "use", "item_id": "int-jira"}]
        assert service.add_events(batch).accepted == 1
        assert service.add_events(batch).duplicates == 1
        ranked = service.recommend("sam", 5).items
        assert {"int-zendesk", "tpl-support-sla", "guide-support-metrics"} & {
            c.item.id for c in ranked[:3]
        }
        assert "int-jira" not in {c.item.id for c in service.recommend("zoe", 10).items}
        service.delete_user("zoe")
        assert service.vectors.profile_vector("zoe") is None
    finally:
        service.close()
    reopened = Personify(
        settings, SharedParts(settings, presidio=redactor, embedder=embedder)
    )  # state outlives the process
    try:
        assert reopened.store.catalog.count() == 64 and reopened.vectors.count_items() == 64
        assert reopened.profile("dana").has_vector
        assert not load_demo(reopened)
    finally:
        reopened.close()


def test_chroma_server(
    chroma_url: str, tmp_path: Path, embedder: MiniLMEmbedder, redactor: PresidioRedactor
) -> None:
    settings = load_settings(data_dir=tmp_path / "data", chroma_url=chroma_url).check()
    exercise(settings, embedder, redactor)
    assert not (tmp_path / "data" / "chroma").exists()  # nothing went to embedded Chroma


def test_postgresql(
    postgres_url: str, tmp_path: Path, embedder: MiniLMEmbedder, redactor: PresidioRedactor
) -> None:
    settings = load_settings(data_dir=tmp_path / "data", database_url=postgres_url).check()
    exercise(settings, embedder, redactor)
    assert not (tmp_path / "data" / "personify.db").exists()


def test_a_dead_chroma_server_is_a_clear_start_up_error(
    tmp_path: Path, embedder: MiniLMEmbedder
) -> None:
    from personify.errors import ConfigError

    settings = load_settings(data_dir=tmp_path, chroma_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ConfigError) as err:
        Personify(settings, SharedParts(settings, embedder=embedder))
    assert err.value.field == "PERSONIFY_CHROMA_URL"


def test_tenants_on_postgresql_and_a_chroma_server(
    postgres_url: str,
    chroma_url: str,
    tmp_path: Path,
    embedder: MiniLMEmbedder,
    redactor: PresidioRedactor,
) -> None:
    """Each tenant gets its own PostgreSQL schema and Chroma database; deleting the tenant
    drops both."""
    import chromadb

    from personify.agent.testing import ScriptedChatModel
    from personify.tenancy import MultiTenant

    settings = load_settings(
        data_dir=tmp_path / "data",
        database_url=postgres_url,
        chroma_url=chroma_url,
        admin_key="a" * 32,
    ).check()
    tenancy = MultiTenant(
        settings,
        SharedParts(settings, model=ScriptedChatModel(), presidio=redactor, embedder=embedder),
    )
    try:
        a = tenancy.create("acme", []).tenant.tenant_id
        b = tenancy.create("globex", []).tenant.tenant_id
        for tenant_id, marker in ((a, "ALPHA"), (b, "BETA")):
            service = tenancy.service(tenant_id)
            service.add_items(
                [{"id": "same-id", "title": f"{marker} guide", "description": "d", "category": "c"}]
            )
            service.put_traits("dana", {"role": marker})
        assert tenancy.service(a).item("same-id").title == "ALPHA guide"
        assert tenancy.service(b).item("same-id").title == "BETA guide"
        assert tenancy.service(b).store.users.get_traits("dana")["role"] == "BETA"

        engine = create_engine(postgres_url)
        schemas = "SELECT schema_name FROM information_schema.schemata"
        with engine.connect() as conn:
            before = {row[0] for row in conn.execute(text(schemas))}
        assert {f"personify_{a}", f"personify_{b}"} <= before
        tenancy.delete(a)
        with engine.connect() as conn:
            after = {row[0] for row in conn.execute(text(schemas))}
        engine.dispose()
        assert f"personify_{a}" not in after and f"personify_{b}" in after
        port = int(chroma_url.rsplit(":", 1)[1])
        admin = chromadb.AdminClient(
            chromadb.config.Settings(
                chroma_api_impl="chromadb.api.fastapi.FastAPI",
                chroma_server_host="127.0.0.1",
                chroma_server_http_port=port,
                anonymized_telemetry=False,
            )
        )
        names = {d["name"] for d in admin.list_databases()}
        assert f"personify_{a}" not in names and f"personify_{b}" in names
        assert tenancy.service(b).vectors.count_items() == 1

        # a crash after b's keys went but before its stores did: the next start sweeps them
        tenancy.registry.remove(b)
        MultiTenant(
            settings,
            SharedParts(settings, model=ScriptedChatModel(), presidio=redactor, embedder=embedder),
        ).close()
        engine = create_engine(postgres_url)
        with engine.connect() as conn:
            assert f"personify_{b}" not in {row[0] for row in conn.execute(text(schemas))}
        engine.dispose()
        assert f"personify_{b}" not in {d["name"] for d in admin.list_databases()}
    finally:
        tenancy.close()

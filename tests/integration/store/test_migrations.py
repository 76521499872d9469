"""Schema changes go through Alembic migrations, run at start-up: a fresh database gets
the newest revision, a database made before migrations is stamped and upgraded with its
rows kept, workers starting together migrate once, and schema.py agrees with the
migrations (so a change made in one place only fails here)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, select, text

from personify.domain import AgentNotes
from personify.store import Store, migrations
from personify.store.database import make_engine
from personify.store.schema import events, metadata, users


def schema_differences(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), metadata))
    finally:
        engine.dispose()


def test_a_fresh_sqlite_database_is_at_the_newest_revision(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert schema_differences(url) == []
    engine = create_engine(url)
    assert migrations.current(engine) == migrations.head()
    engine.dispose()


@pytest.mark.slow
def test_a_fresh_postgresql_database_matches_schema_py(postgres_url: str) -> None:
    assert schema_differences(postgres_url) == []


def test_a_database_from_before_migrations_is_stamped_and_upgraded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = create_engine(url)
    with old.connect() as conn:  # the tables as the first release made them, no version
        command.upgrade(migrations.config(conn), migrations.FIRST)
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(
            text(
                "INSERT INTO events (event_id, user_id, type, item_id, properties, ts, "
                "received_at) VALUES ('e1', 'dana', 'view', NULL, '{}', 1.0, 1.0)"
            )
        )
        conn.commit()
    assert not inspect(old).has_table("tenants")
    old.dispose()

    engine = make_engine(url)
    assert migrations.current(engine) == migrations.head()
    assert inspect(engine).has_table("tenants")
    with engine.connect() as conn:  # the old row survived and counts as folded
        assert conn.execute(select(events.c.event_id, events.c.folded)).all() == [("e1", True)]
    engine.dispose()


def test_the_agents_notes_move_out_of_the_traits(tmp_path: Path) -> None:
    """Revision 0003: what chat learned and the pending onboarding question, once kept in
    the traits (where a PUT of new traits erased them), move to agent_notes."""
    url = f"sqlite:///{tmp_path / 'notes.db'}"
    old = create_engine(url)
    traits = {"role": "Analyst", "chat_interests": ["data team"], "elicit_asked": "goal"}
    with old.connect() as conn:
        command.upgrade(migrations.config(conn), "0002")
        conn.execute(
            users.insert(),
            [
                {"user_id": "dana", "traits": traits, "updated_at": 1.0},
                {"user_id": "sam", "traits": {"role": "Support"}, "updated_at": 1.0},
            ],
        )
        conn.commit()
    old.dispose()

    store = Store.open(url)  # migrates to the newest revision
    try:
        assert store.users.get_traits("dana") == {"role": "Analyst"}
        assert store.notes.get("dana") == AgentNotes(interests=["data team"], asking="goal")
        assert store.users.get_traits("sam") == {"role": "Support"}
        assert store.notes.get_many(["sam"]) == {}
    finally:
        store.close()


def start_together(url: str, workers: int = 4) -> list[BaseException]:
    errors: list[BaseException] = []

    def start() -> None:
        try:
            make_engine(url).dispose()
        except BaseException as exc:  # collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_workers_starting_together_on_sqlite_migrate_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    assert start_together(url) == []
    assert migrations.current(create_engine(url)) == migrations.head()


@pytest.mark.slow
def test_workers_starting_together_on_postgresql_migrate_once(postgres_url: str) -> None:
    assert start_together(postgres_url) == []
    assert migrations.current(create_engine(postgres_url)) == migrations.head()

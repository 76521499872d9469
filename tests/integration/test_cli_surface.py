"""The command line speaks for itself: every option says what it does and its default,
errors point to a command (not to the HTTP API) and name the record of the file, and the
demo lives apart from the user's own data."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from personify.agent.testing import ScriptedChatModel
from personify.cli import build_parser, main
from personify.demo import PRODUCT_NAME, demo_settings, load_demo
from personify.privacy.redactor import PresidioRedactor
from personify.retrieval.embeddings import MiniLMEmbedder
from personify.settings import get_settings, load_settings
from tests.conftest import build


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PERSONIFY_DATA_DIR", str(tmp_path / "state"))
    get_settings.cache_clear()
    yield tmp_path / "state"
    get_settings.cache_clear()


def commands(parser: argparse.ArgumentParser, prefix: str = "") -> Iterator[tuple[str, object]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands(sub, f"{prefix} {name}".strip())
    if prefix:
        yield prefix, parser


def test_every_option_has_a_description_and_its_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    found = dict(commands(build_parser()))
    assert {"serve", "ingest", "bench", "train", "demo", "load", "eval recs"} <= set(found)
    for name, parser in found.items():
        assert isinstance(parser, argparse.ArgumentParser)
        assert parser.description, name
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                continue
            assert action.help, (name, action.dest)
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: 127.0.0.1)" in text and "(default: 8000)" in text
    with pytest.raises(SystemExit):
        main(["bench", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for default in ("10000", "1000", "100000"):
        assert f"(default: {default})" in text
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert "(default: 0)" in capsys.readouterr().out


def test_an_unknown_item_in_ingested_events_points_to_the_ingest_command(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PERSONIFY_MAX_BATCH", "2")  # the bad record is in the second batch
    get_settings.cache_clear()
    items = tmp_path / "items.jsonl"
    items.write_text(json.dumps({"id": "a1", "title": "Audit Trail"}) + "\n")
    assert main(["ingest", "items", str(items)]) == 0
    events = tmp_path / "events.jsonl"
    lines = [{"event_id": f"e{n}", "user_id": "u1", "type": "use", "item_id": "a1"} for n in (1, 2)]
    lines += [{"event_id": "e3", "user_id": "u1", "type": "use", "item_id": "missing"}]
    events.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    capsys.readouterr()
    assert main(["ingest", "events", str(events)]) == 1
    error = capsys.readouterr().err
    assert "record 3" in error and "'missing'" in error
    assert "personify ingest items FILE" in error and "POST /v1" not in error


def test_the_demo_lives_apart_from_your_own_data(
    tmp_path: Path,
    embedder: MiniLMEmbedder,
    redactor: PresidioRedactor,
    scripted: ScriptedChatModel,
) -> None:
    yours = load_settings(data_dir=tmp_path / "state")
    demo = demo_settings(yours)
    assert demo.data_dir == tmp_path / "state" / "demo" and demo.product_name == PRODUCT_NAME
    own = build(yours, embedder, redactor, scripted)
    own.add_items([{"id": "int-slack", "title": "Our own Slack bot"}])
    shown = build(demo, embedder, redactor, scripted)
    try:
        assert load_demo(shown)
        assert shown.item("int-slack").title == "Slack Integration"  # the demo's, untouched
        assert own.item("int-slack").title == "Our own Slack bot"
        assert own.store.catalog.count() == 1 and shown.store.catalog.count() == 64
    finally:
        own.close()
        shown.close()


def test_serve_load_demo_refuses_workers_and_tenants(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERSONIFY_CHROMA_URL", "http://127.0.0.1:9")  # workers may share it
    get_settings.cache_clear()
    assert main(["serve", "--load-demo", "--workers", "2", "--port", "1"]) == 2
    error = capsys.readouterr().err
    assert "--load-demo serves one process" in error and "--workers" in error
    monkeypatch.delenv("PERSONIFY_CHROMA_URL")
    monkeypatch.setenv("PERSONIFY_ADMIN_KEY", "k" * 30)
    get_settings.cache_clear()
    assert main(["serve", "--load-demo", "--port", "1"]) == 2
    assert "PERSONIFY_ADMIN_KEY" in capsys.readouterr().err

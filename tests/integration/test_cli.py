"""The command line: ingest from files, and the one-shot demo with the real local model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from personify.cli import main
from personify.settings import get_settings


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PERSONIFY_DATA_DIR", str(tmp_path / "state"))
    get_settings.cache_clear()
    yield tmp_path / "state"
    get_settings.cache_clear()


def test_ingest_items_from_csv_and_events_from_jsonl(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    items = tmp_path / "items.csv"
    items.write_text(
        "id,title,description,category,tags\n"
        "a1,Audit Trail,Who changed what and when,feature,security|compliance\n"
        "a2,Access Reviews,Quarterly review of who can see what,guide,security\n"
    )
    events = tmp_path / "events.jsonl"
    lines = [
        {"event_id": "e1", "user_id": "u1", "type": "use", "item_id": "a1"},
        {"messageId": "m1", "userId": "u1", "event": "Product Viewed", "properties": {"sku": "a2"}},
    ]
    events.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    assert main(["ingest", "items", str(items)]) == 0
    assert json.loads(capsys.readouterr().out)["stored"] == 2
    assert main(["ingest", "events", str(events)]) == 0
    assert json.loads(capsys.readouterr().out) == {"kind": "events", "stored": 2, "duplicates": 0}
    assert main(["ingest", "events", str(events)]) == 0
    assert json.loads(capsys.readouterr().out)["duplicates"] == 2
    assert (data_dir / "personify.db").exists()


def test_ingest_reports_the_bad_record(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text('{"user_id": "u1", "type": "use", "item_id": "missing"}\n')
    assert main(["ingest", "events", str(events)]) == 1
    err = capsys.readouterr().err
    assert "record 1" in err and "events[0].item_id" in err


@pytest.mark.slow
def test_demo_prints_onboarding_for_each_persona(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for persona in ("dana", "marco", "sam"):
        assert f"== {persona}" in out
    assert out.count("  - ") >= 3


def test_serve_refuses_a_public_address_without_an_admin_key(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--host", "0.0.0.0", "--port", "1"]) == 2
    error = capsys.readouterr().err
    assert "PERSONIFY_ADMIN_KEY" in error and "127.0.0.1" in error
    assert main(["serve", "--workers", "2", "--port", "1"]) == 2  # embedded Chroma: one process
    assert "PERSONIFY_CHROMA_URL" in capsys.readouterr().err


def test_experiment_report_writes_json_and_html(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import timedelta

    from personify.domain import Event, utcnow
    from personify.experiments.definitions import ExperimentSpec
    from personify.service import Personify

    service = Personify(get_settings())
    spec = {
        "key": "copy-test",
        "surface": "onboarding",
        "variants": [{"name": "control", "weight": 1}, {"name": "short", "weight": 1}],
        "metrics": {"primary": "conversion", "guardrails": ["fallback_rate"]},
        "min_users_per_variant": 2,
    }
    service.experiments.create(ExperimentSpec.model_validate(spec))
    users = [f"u{n}" for n in range(30)]
    for user in users:
        service.experiments.served(service.experiments.assign(user, "onboarding"))
    service.experiments.store.flush()
    later = utcnow() + timedelta(seconds=1)
    bought = [
        Event(event_id=f"p{n}", user_id=u, type="purchase", timestamp=later)
        for n, u in enumerate(users[::3])
    ]
    service.store.events.append(bought)
    service.close()
    out = tmp_path / "report"
    assert main(["experiment", "report", "copy-test", "--out", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert Path(printed["report"]) == out / "report.html"
    saved = json.loads((out / "report.json").read_text())
    results = saved["results"]
    assert sum(v["users"] for v in results["variants"].values()) == len(users)
    means = results["metrics"]["conversion"]["variants"]
    converted = sum(m["mean"] * results["variants"][v]["users"] for v, m in means.items())
    assert converted == pytest.approx(len(bought))
    assert saved["over_time"][-1]["users"] == {
        name: v["users"] for name, v in results["variants"].items()
    }
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 3  # lift, users, the primary over time
    assert main(["experiment", "report", "no-such", "--out", str(out)]) == 1
    assert "Unknown experiment" in capsys.readouterr().err

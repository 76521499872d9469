import gzip
import json
from pathlib import Path

import pytest

from personify.errors import InputError
from personify.evals.convert import convert_goodbooks
from personify.evals.dataset import load_dataset

GOODBOOKS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "goodbooks10k"


def write(folder: Path, items: list[dict], events: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "items.jsonl").write_text("".join(json.dumps(i) + "\n" for i in items))
    (folder / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    return folder


def test_file_order_is_time_without_timestamps(tmp_path: Path) -> None:
    items = [{"id": "a", "title": "A"}, {"id": "b", "title": "B"}]
    events = [
        {"user_id": "u", "item_id": "b", "type": "view"},
        {"user_id": "u", "item_id": "a", "type": "view"},
    ]
    data = load_dataset(write(tmp_path, items, events))
    assert data.synthetic_time
    assert [i.item_id for i in data.interactions] == ["b", "a"]


def test_timestamps_order_events(tmp_path: Path) -> None:
    items = [{"id": "a", "title": "A"}, {"id": "b", "title": "B"}]
    events = [
        {"user_id": "u", "item_id": "b", "type": "view", "timestamp": "2026-01-02T00:00:00+00:00"},
        {"user_id": "u", "item_id": "a", "type": "view", "timestamp": 1735689600000},
    ]
    data = load_dataset(write(tmp_path, items, events))
    assert [i.item_id for i in data.interactions] == ["a", "b"]


@pytest.mark.parametrize(
    ("events", "message"),
    [
        (
            [{"user_id": "u", "item_id": "zz", "type": "view"}],
            "line 1: item_id 'zz' is not in items.jsonl",
        ),
        ([{"item_id": "a"}], "line 1: user_id is required"),
        ([{"user_id": "u", "item_id": "a", "value": "high"}], "value must be a number"),
        ([{"user_id": "u", "item_id": "a", "timestamp": "yesterday"}], "neither epoch"),
    ],
)
def test_bad_records_name_the_line_and_field(
    tmp_path: Path, events: list[dict], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        load_dataset(write(tmp_path, [{"id": "a", "title": "A"}], events))


def test_a_folder_without_the_files_says_what_it_needs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no items.jsonl or items.jsonl.gz"):
        load_dataset(tmp_path)
    (tmp_path / "items.jsonl").write_text(json.dumps({"id": "a", "title": "A"}) + "\n")
    with pytest.raises(InputError, match="no events.jsonl or events.jsonl.gz"):
        load_dataset(tmp_path)


def test_gzipped_files_load_like_plain_ones(tmp_path: Path) -> None:
    items = [{"id": "a", "title": "A"}, {"id": "b", "title": "B"}]
    events = [
        {"user_id": "u", "item_id": "b", "type": "buy", "timestamp": "2026-01-02T00:00:00+00:00"},
        {"user_id": "u", "item_id": "a", "type": "buy", "timestamp": "2026-01-01T00:00:00+00:00"},
    ]
    (tmp_path / "items.jsonl").write_text("".join(json.dumps(i) + "\n" for i in items))
    for name, records in (
        ("events.jsonl.gz", events),
        ("users.jsonl.gz", [{"user_id": "u", "traits": {"city": "Leeds"}}]),
    ):
        with gzip.open(tmp_path / name, "wt", encoding="utf-8") as handle:
            handle.writelines(json.dumps(r) + "\n" for r in records)
    data = load_dataset(tmp_path)
    assert [i.item_id for i in data.interactions] == ["a", "b"]
    assert not data.synthetic_time
    assert data.traits == {"u": {"city": "Leeds"}}


@pytest.mark.skipif(
    not GOODBOOKS.is_dir(), reason="../shared/data/goodbooks10k is not beside the checkout"
)
def test_goodbooks_converts_to_the_neutral_format(tmp_path: Path) -> None:
    counts = convert_goodbooks(GOODBOOKS, tmp_path)
    assert counts == {"items": 10_000, "events": 298_176}
    data = load_dataset(tmp_path)
    first = data.items[0]
    assert first.title.startswith("The Hunger Games")
    assert "Suzanne Collins" in first.description and "2008" in first.description
    assert first.category != "general" and first.tags
    assert {i.value for i in data.interactions} == {1.0, 2.0, 3.0, 4.0, 5.0}
    assert len({i.user_id for i in data.interactions}) == 2672

from datetime import UTC, datetime
from pathlib import Path

import pytest

from personify.errors import InputError
from personify.ingest import parse_event, parse_item, read_records


def test_our_event_shape() -> None:
    event = parse_event(
        {
            "event_id": "e1",
            "user_id": "u1",
            "type": "click",
            "item_id": "i1",
            "timestamp": "2026-01-02T03:04:05Z",
        },
        0,
    )
    assert (event.event_id, event.user_id, event.type, event.item_id) == ("e1", "u1", "click", "i1")
    assert event.timestamp == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_segment_track_shape() -> None:
    event = parse_event(
        {
            "type": "track",
            "messageId": "m-9",
            "anonymousId": "anon-7",
            "event": "Product Clicked",
            "properties": {"product_id": "sku-1", "position": 2},
            "timestamp": 1767225600000,
        },
        0,
    )
    assert event.event_id == "m-9"
    assert event.user_id == "anon-7"
    assert event.type == "click"
    assert event.item_id == "sku-1"
    assert event.timestamp.year == 2026


def test_unknown_segment_events_become_slugs() -> None:
    event = parse_event({"userId": "u", "event": "Report Exported!"}, 0)
    assert event.type == "report_exported"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"type": "click"}, "events[3].user_id"),
        ({"user_id": "u"}, "events[3].type"),
        ({"user_id": "u", "type": "x", "timestamp": "yesterday"}, "events[3].timestamp"),
        ({"user_id": "has space", "type": "x"}, "events[3].user_id"),
        ({"userId": "u"}, "events[3].event"),
        ({"event": "Clicked"}, "events[3].userId"),
        ("not an object", "events[3]"),
    ],
)
def test_invalid_events_name_the_index_and_field(raw: object, field: str) -> None:
    with pytest.raises(InputError) as err:
        parse_event(raw, 3)
    assert err.value.field == field
    assert field in err.value.message


def test_invalid_item_names_the_field() -> None:
    with pytest.raises(InputError) as err:
        parse_item({"id": "a", "title": ""}, 5)
    assert err.value.field == "items[5].title"


def test_reads_jsonl_and_csv(tmp_path: Path) -> None:
    jsonl = tmp_path / "items.jsonl"
    jsonl.write_text('{"id": "a", "title": "A"}\n\n{"id": "b", "title": "B"}\n')
    assert [r["id"] for r in read_records(jsonl)] == ["a", "b"]
    csv_file = tmp_path / "items.csv"
    csv_file.write_text("id,title,tags\nx,X,one|two\n")
    assert list(read_records(csv_file)) == [{"id": "x", "title": "X", "tags": ["one", "two"]}]


def test_a_broken_jsonl_line_is_reported_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"user_id": "u"}\n{oops\n')
    with pytest.raises(InputError, match="events.jsonl:2"):
        list(read_records(path))

"""Reading items and events from API payloads and files (JSONL or CSV), with errors that
name the record and field at fault."""

from __future__ import annotations

import csv
import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from personify.domain import Event, Item, utcnow
from personify.errors import InputError

SEGMENT_EVENTS = {
    "product viewed": "view",
    "product clicked": "click",
    "product added": "add",
    "product added to wishlist": "like",
    "order completed": "purchase",
    "product reviewed": "rating",
}
SEGMENT_ITEM_KEYS = ("item_id", "product_id", "sku", "id")


def _first_error(exc: ValidationError, prefix: str) -> InputError:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    field = f"{prefix}.{loc}" if loc else prefix
    return InputError(f"{field}: {err['msg']}", field=field)


def _timestamp(value: Any, field: str) -> datetime:
    if value is None or value == "":
        return utcnow()
    try:
        if isinstance(value, int | float):
            seconds = value / 1000 if value > 1e11 else value  # milliseconds, as Segment sends
            return datetime.fromtimestamp(seconds, UTC)
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError) as exc:
        raise InputError(
            f"{field}: not a timestamp; send ISO 8601 (2026-01-31T12:00:00Z) or epoch seconds.",
            field=field,
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_") or "event"


def parse_event(raw: Any, index: int) -> Event:
    """Our shape {event_id?, user_id, type, item_id?, properties?, timestamp?} or a Segment
    `track` call {messageId, userId|anonymousId, event, properties, timestamp}."""
    prefix = f"events[{index}]"
    if not isinstance(raw, dict):
        raise InputError(f"{prefix}: each event must be a JSON object.", field=prefix)
    properties = raw.get("properties") or {}
    if not isinstance(properties, dict):
        raise InputError(f"{prefix}.properties: must be an object.", field=f"{prefix}.properties")
    if "event" in raw or "userId" in raw or "anonymousId" in raw or "messageId" in raw:
        name = raw.get("event")
        if not isinstance(name, str) or not name.strip():
            raise InputError(
                f"{prefix}.event: the Segment event name is missing.", field=f"{prefix}.event"
            )
        user = raw.get("userId") or raw.get("anonymousId")
        if not user:
            raise InputError(
                f"{prefix}.userId: a Segment event needs userId or anonymousId.",
                field=f"{prefix}.userId",
            )
        item = next((properties[k] for k in SEGMENT_ITEM_KEYS if properties.get(k)), None)
        fields: dict[str, Any] = {
            "event_id": raw.get("messageId") or str(uuid.uuid4()),
            "user_id": str(user),
            "type": SEGMENT_EVENTS.get(name.strip().lower(), _slug(name)),
            "item_id": str(item) if item is not None else None,
        }
    else:
        fields = {
            "event_id": raw.get("event_id") or str(uuid.uuid4()),
            "user_id": raw.get("user_id"),
            "type": raw.get("type"),
            "item_id": raw.get("item_id"),
        }
    if "value" in raw and "value" not in properties:
        properties = {**properties, "value": raw["value"]}
    try:
        return Event(
            **fields,
            properties=properties,
            timestamp=_timestamp(raw.get("timestamp"), f"{prefix}.timestamp"),
        )
    except ValidationError as exc:
        raise _first_error(exc, prefix) from exc


def parse_item(raw: Any, index: int) -> Item:
    prefix = f"items[{index}]"
    if not isinstance(raw, dict):
        raise InputError(f"{prefix}: each item must be a JSON object.", field=prefix)
    try:
        return Item.model_validate(raw)
    except ValidationError as exc:
        raise _first_error(exc, prefix) from exc


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """Records from a .jsonl/.json or .csv file. CSV `tags` split on '|' or ','."""
    if not path.is_file():
        raise InputError(f"No such file: {path}.", field="file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                record: dict[str, Any] = {k: v for k, v in row.items() if v not in (None, "")}
                if "tags" in record:
                    record["tags"] = [
                        t.strip() for t in re.split(r"[|,]", record["tags"]) if t.strip()
                    ]
                for key in ("attributes", "properties"):
                    if key in record:
                        record[key] = json.loads(record[key])
                yield record
    elif suffix in (".jsonl", ".ndjson", ".json"):
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise InputError(
                            f"{path}:{number}: not valid JSON ({exc.msg}).", field="file"
                        ) from exc
    else:
        raise InputError(f"{path}: use a .jsonl or .csv file.", field="file")

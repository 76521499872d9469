"""Evaluation datasets in one neutral format: a folder of JSON Lines files.

    items.jsonl   {"id", "title", "description"?, "category"?, "tags"?, "attributes"?}
    events.jsonl  {"user_id", "item_id", "type", "timestamp"?, "value"?}
    users.jsonl   {"user_id", "traits"}   (optional)

Each file may also be gzipped (`events.jsonl.gz`). Without timestamps, file order is time.
Nothing here knows about any one dataset."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from personify.domain import Event, Item
from personify.errors import InputError

# Events without a timestamp are placed one second apart from here, in file order.
SYNTHETIC_START = 1_600_000_000.0


@dataclass(frozen=True, kw_only=True)
class Interaction:
    user_id: str
    item_id: str
    type: str
    ts: float
    value: float | None
    order: int  # position in the file: breaks ties in time


@dataclass(kw_only=True)
class Dataset:
    path: Path
    items: list[Item]
    interactions: list[Interaction]
    traits: dict[str, dict[str, Any]] = field(default_factory=dict)
    synthetic_time: bool = False  # True when the file had no timestamps

    @property
    def item_ids(self) -> list[str]:
        return [item.id for item in self.items]


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with _open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path.name} line {number}: not JSON ({exc.msg}).") from exc
            if not isinstance(record, dict):
                raise InputError(f"{path.name} line {number}: expected a JSON object.")
            yield number, record


def _open_text(path: Path) -> TextIO:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def find_jsonl(folder: Path, stem: str) -> Path | None:
    """`stem`.jsonl in the folder, or `stem`.jsonl.gz; None when neither is there."""
    for name in (f"{stem}.jsonl", f"{stem}.jsonl.gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def _required(folder: Path, stem: str) -> Path:
    path = find_jsonl(folder, stem)
    if path is None:
        raise InputError(
            f"--dataset {folder}: no {stem}.jsonl or {stem}.jsonl.gz there. A dataset folder "
            "holds items.jsonl and events.jsonl, either of them possibly gzipped (see "
            "`personify eval convert` for goodbooks).",
            field="dataset",
        )
    return path


def load_dataset(folder: Path) -> Dataset:
    folder = Path(folder)
    items_path, events_path = _required(folder, "items"), _required(folder, "events")
    items = [_item(items_path, n, r) for n, r in read_jsonl(items_path)]
    known = {item.id for item in items}
    interactions: list[Interaction] = []
    synthetic = False
    for order, (number, record) in enumerate(read_jsonl(events_path)):
        interaction = _interaction(number, record, order, known)
        synthetic = synthetic or record.get("timestamp") is None
        interactions.append(interaction)
    if not interactions:
        raise InputError(f"{events_path}: no events.", field="dataset")
    traits: dict[str, dict[str, Any]] = {}
    users_path = find_jsonl(folder, "users")
    if users_path is not None:
        for number, record in read_jsonl(users_path):
            if not isinstance(record.get("user_id"), str | int) or not isinstance(
                record.get("traits", {}), dict
            ):
                raise InputError(
                    f"{users_path.name} line {number}: needs a user_id and a traits object."
                )
            traits[str(record["user_id"])] = record.get("traits", {})
    interactions.sort(key=lambda i: (i.ts, i.order))
    return Dataset(
        path=folder,
        items=items,
        interactions=interactions,
        traits=traits,
        synthetic_time=synthetic,
    )


def _item(path: Path, number: int, record: dict[str, Any]) -> Item:
    fields = {
        "id": str(record.get("id", "")),
        "title": record.get("title"),
        "description": record.get("description") or "",
        "category": record.get("category") or "general",
        "tags": record.get("tags") or [],
        "attributes": record.get("attributes") or {},
    }
    try:
        return Item.model_validate(fields)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = ".".join(str(p) for p in err["loc"])
        raise InputError(f"{path.name} line {number}: {name}: {err['msg']}") from exc


def _interaction(number: int, record: dict[str, Any], order: int, known: set[str]) -> Interaction:
    where = f"events.jsonl line {number}"
    for name in ("user_id", "item_id"):
        if not isinstance(record.get(name), str | int) or str(record[name]) == "":
            raise InputError(f"{where}: {name} is required (a string).")
    item_id = str(record["item_id"])
    if item_id not in known:
        raise InputError(f"{where}: item_id {item_id!r} is not in items.jsonl.")
    value = record.get("value")
    if value is not None and not isinstance(value, int | float):
        raise InputError(f"{where}: value must be a number, got {value!r}.")
    return Interaction(
        user_id=str(record["user_id"]),
        item_id=item_id,
        type=str(record.get("type") or "view"),
        ts=_timestamp(record.get("timestamp"), order, where),
        value=float(value) if value is not None else None,
        order=order,
    )


def _timestamp(raw: Any, order: int, where: str) -> float:
    if raw is None:
        return SYNTHETIC_START + order
    if isinstance(raw, int | float):
        return float(raw) / 1000.0 if raw > 1e11 else float(raw)  # milliseconds or seconds
    try:
        return datetime.fromisoformat(str(raw)).timestamp()
    except ValueError as exc:
        raise InputError(
            f"{where}: timestamp {raw!r} is neither epoch seconds/ms nor ISO 8601."
        ) from exc


def as_events(interactions: list[Interaction]) -> list[Event]:
    """Interactions as Personify events, moved in time so the newest is an hour old (the
    profile reads recent history; gaps between events are kept)."""
    newest = max((i.ts for i in interactions), default=0.0)
    shift = time.time() - 3600 - newest if interactions else 0.0
    return [
        Event(
            event_id=f"eval-{i.order}",
            user_id=i.user_id,
            type=i.type,
            item_id=i.item_id,
            properties={"value": i.value} if i.value is not None else {},
            timestamp=datetime.fromtimestamp(i.ts + shift, UTC),
        )
        for i in interactions
    ]

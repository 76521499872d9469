"""Converters from public datasets into the neutral format (see `dataset.py`)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from personify.errors import InputError

# Broad genres, most specific first: the first one a book carries becomes its category.
GOODBOOKS_CATEGORIES = [
    "graphic-novels",
    "poetry",
    "horror",
    "science-fiction",
    "fantasy",
    "mystery",
    "thriller",
    "romance",
    "historical-fiction",
    "young-adult",
    "children",
    "classics",
    "biography",
    "history",
    "self-help",
    "business",
    "philosophy",
    "science",
    "religion",
    "non-fiction",
    "fiction",
]
MAX_TAGS = 6  # the broad genres first; more tags make embedding slower, not better


def convert_goodbooks(source: Path, out: Path) -> dict[str, int]:
    """goodbooks-10k: books.csv + book_genres_derived.csv + the ratings file ->
    items.jsonl and events.jsonl (ratings as type "rating", value 1-5, file order is time)."""
    books = _require(source, "books.csv")
    genres_file = _require(source, "book_genres_derived.csv")
    ratings_file = next(
        (
            p
            for p in (source / "ratings.csv", source / "ratings_sample_5pct_users.csv")
            if p.is_file()
        ),
        None,
    )
    if ratings_file is None:
        raise InputError(f"{source}: no ratings.csv or ratings_sample_5pct_users.csv.")
    genres: dict[str, list[str]] = {}
    with genres_file.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            genres[row["book_id"]] = [g for g in row["genres"].split(",") if g]
    out.mkdir(parents=True, exist_ok=True)
    counts = {"items": 0, "events": 0}
    with books.open(encoding="utf-8") as handle, (out / "items.jsonl").open("w") as items:
        for row in csv.DictReader(handle):
            record = _book(row, genres.get(row["book_id"], []))
            items.write(json.dumps(record, ensure_ascii=False) + "\n")
            counts["items"] += 1
    with ratings_file.open(encoding="utf-8") as handle, (out / "events.jsonl").open("w") as events:
        for row in csv.DictReader(handle):
            record = {
                "user_id": row["user_id"],
                "item_id": row["book_id"],
                "type": "rating",
                "value": int(row["rating"]),
            }
            events.write(json.dumps(record) + "\n")
            counts["events"] += 1
    return counts


def _book(row: dict[str, str], genres: list[str]) -> dict[str, Any]:
    year = row.get("original_publication_year", "").split(".")[0]
    language = row.get("language_code") or ""
    authors = row.get("authors", "")
    category = next((g for g in GOODBOOKS_CATEGORIES if g in genres), "general")
    broad = [g for g in GOODBOOKS_CATEGORIES if g in genres]
    tags = (broad + [g for g in genres if g not in broad])[:MAX_TAGS]
    parts = [f"By {authors}" if authors else "", f"first published {year}" if year else ""]
    description = ", ".join(p for p in parts if p)
    if language:
        description += f". Language: {language}"
    return {
        "id": row["book_id"],
        "title": (row.get("title") or row.get("original_title") or row["book_id"])[:300],
        "description": description,
        "category": category,
        "tags": tags,
        "attributes": {"authors": authors, "year": year, "language": language},
    }


def _require(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise InputError(f"{folder}: {name} is missing; is this the goodbooks-10k folder?")
    return path

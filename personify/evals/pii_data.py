"""Labelled PII data sets in the two formats the harness reads, and the label table.

presidio-research JSON: a list of {"full_text", "spans": [{"entity_type",
"start_position", "end_position"}]} (end exclusive). CoNLL: one "token<TAB>tag" per line
with B-/I- tags, a blank line between sentences; the text is the tokens joined by spaces."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from personify.errors import InputError

# Data-set label -> the entity type Personify redacts, or None where it has none on
# purpose: organisations, dates, titles, ages, nationalities, zip codes and domains say
# little about who someone is and are useful for personalization, so they are kept.
LABELS: dict[str, str | None] = {
    # presidio-research synthetic set
    "PERSON": "PERSON",
    "STREET_ADDRESS": "STREET_ADDRESS",
    "GPE": "LOCATION",
    "LOCATION": "LOCATION",
    "CREDIT_CARD": "CREDIT_CARD",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "IBAN_CODE": "IBAN_CODE",
    "US_SSN": "US_SSN",
    "IP_ADDRESS": "IP_ADDRESS",
    "US_DRIVER_LICENSE": "US_DRIVER_LICENSE",
    "ORGANIZATION": None,
    "DATE_TIME": None,
    "TITLE": None,
    "AGE": None,
    "NRP": None,
    "ZIP_CODE": None,
    "DOMAIN_NAME": None,
    # WNUT-17
    "person": "PERSON",
    "location": "LOCATION",
    "group": None,
    "corporation": None,
    "product": None,
    "creative-work": None,
}


@dataclass(frozen=True, kw_only=True)
class GoldSpan:
    label: str  # as the data set names it
    start: int
    end: int

    @property
    def entity(self) -> str | None:
        return LABELS.get(self.label)


@dataclass(frozen=True, kw_only=True)
class Example:
    text: str
    spans: tuple[GoldSpan, ...]


def load_presidio(path: Path) -> list[Example]:
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
        return [
            Example(
                text=r["full_text"],
                spans=tuple(
                    GoldSpan(
                        label=s["entity_type"], start=s["start_position"], end=s["end_position"]
                    )
                    for s in r["spans"]
                ),
            )
            for r in records
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"{path}: not presidio-research JSON ({exc.__class__.__name__}); expected a list of "
            '{"full_text", "spans": [{"entity_type", "start_position", "end_position"}]}.',
            field="dataset",
        ) from exc


def load_conll(path: Path) -> list[Example]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc}).", field="dataset") from exc
    examples: list[Example] = []
    tokens: list[tuple[str, str]] = []
    for number, line in enumerate([*lines, ""], start=1):
        if not line.strip():
            if tokens:
                examples.append(_sentence(tokens))
                tokens = []
            continue
        parts = line.split("\t") if "\t" in line else line.rsplit(" ", 1)
        if len(parts) != 2:
            raise InputError(f"{path}:{number}: expected 'token<TAB>tag'.", field="dataset")
        tokens.append((parts[0], parts[1].strip()))
    return examples


def _sentence(tokens: list[tuple[str, str]]) -> Example:
    text_parts: list[str] = []
    spans: list[GoldSpan] = []
    cursor = 0
    open_label, open_start, open_end = "", 0, 0
    for token, tag in tokens:
        start = cursor
        end = start + len(token)
        text_parts.append(token)
        cursor = end + 1
        inside = tag.startswith("I-") and open_label == tag[2:]
        if open_label and not inside:
            spans.append(GoldSpan(label=open_label, start=open_start, end=open_end))
            open_label = ""
        if tag.startswith("B-") or (tag.startswith("I-") and not inside):
            open_label, open_start = tag[2:], start
        if open_label:
            open_end = end
    if open_label:
        spans.append(GoldSpan(label=open_label, start=open_start, end=open_end))
    return Example(text=" ".join(text_parts), spans=tuple(spans))

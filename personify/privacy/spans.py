"""Spans of PII, and how the overlapping findings of many recognizers become one set."""

from __future__ import annotations

from dataclasses import dataclass

# Names and places: read by the NER model and by word patterns, so they can overlap an
# identifier that a validated pattern found ("IBAN GB82-WEST-..." read as a person).
WORDS = {"PERSON", "LOCATION"}
# Identifiers with a shape: e-mails, phones, cards, IBANs, IPs, SSNs and the like.
ADDRESS = "STREET_ADDRESS"


@dataclass(frozen=True, kw_only=True)
class PiiSpan:
    entity: str
    start: int
    end: int  # exclusive


# What a recognizer found: entity, start, end (exclusive), score
Finding = tuple[str, int, int, float]


def resolve(found: list[Finding], text: str) -> list[PiiSpan]:
    """Non-overlapping spans, in order. An identifier keeps its own span and type where a
    name or a place overlaps it, and the rest of that name or place is kept around it;
    otherwise the longest span wins, then the highest score, and what a later span covers
    beyond it is kept as a span of its own. A name or a place needs
    letters: the NER model's reading of a card number as a place is dropped."""
    identifiers = [f for f in found if f[0] not in WORDS and f[0] != ADDRESS]
    taken = _longest_first(identifiers, text)
    pieces = []
    for entity, start, end, score in found:
        if entity in WORDS:
            for piece_start, piece_end in _outside(start, end, taken):
                piece_start, piece_end = _trim(text, piece_start, piece_end)
                if any(c.isalpha() for c in text[piece_start:piece_end]):
                    pieces.append((entity, piece_start, piece_end, score))
        elif entity == ADDRESS:
            pieces.append((entity, start, end, score))
    return _longest_first(identifiers + pieces, text)


def _longest_first(found: list[Finding], text: str) -> list[PiiSpan]:
    """Where spans overlap, the earlier and longer one keeps its type; what a later one
    covers beyond it is kept too ("Beyonce Chris Brown" and "Chris Brown Ariana Grande"),
    so every character some recognizer flagged is masked."""
    spans: list[PiiSpan] = []
    for entity, start, end, _ in sorted(found, key=lambda f: (f[1], f[1] - f[2], -f[3])):
        if spans and start < spans[-1].end:
            start, end = _trim(text, spans[-1].end, end)
            if not any(c.isalnum() for c in text[start:end]):
                continue
        spans.append(PiiSpan(entity=entity, start=start, end=end))
    return spans


def _outside(start: int, end: int, taken: list[PiiSpan]) -> list[tuple[int, int]]:
    """The parts of [start, end) that no span in `taken` covers."""
    parts, cursor = [], start
    for span in taken:
        if span.end <= cursor or span.start >= end:
            continue
        if span.start > cursor:
            parts.append((cursor, span.start))
        cursor = max(cursor, span.end)
    if cursor < end:
        parts.append((cursor, end))
    return parts


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return start, end

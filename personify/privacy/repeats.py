"""A value found once is masked wherever it comes back.

A name the recognizers read in one place ("Dear Harriet Quarmby,") is masked where they
would not have ("... still harriet quarmby at home"); the name in an e-mail address
("harriet.quarmby@...") marks the same words written out; and what a conversation's vault
already holds is masked in every later text of that conversation."""

from __future__ import annotations

import re
from collections.abc import Iterable

from personify.privacy.gazetteers import is_english
from personify.privacy.identifiers import EMAIL
from personify.privacy.spans import Finding

WORD = re.compile(r"[^\W\d_][\w'’-]*")


def occurrences(text: str, value: str) -> Iterable[tuple[int, int]]:
    """Where `value` stands in `text` as whole words, in any case."""
    if len(value) < 3:
        return []
    pattern = re.compile(rf"(?<![\w@.]){re.escape(value)}(?![\w@])", re.IGNORECASE)
    return (m.span() for m in pattern.finditer(text))


def repeated(text: str, found: list[Finding]) -> list[Finding]:
    """Other places the names found in `text` stand, in any case."""
    names = {text[start:end] for entity, start, end, _ in found if entity == "PERSON"}
    extra: list[Finding] = []
    for name in names:
        for start, end in occurrences(text, name):
            extra.append(("PERSON", start, end, 0.5))
    return extra


def named_in_emails(text: str) -> list[Finding]:
    """Words that spell out the name in an e-mail address of the text and are no English
    word ("harriet quarmby" beside harriet.quarmby@example.com), runs of them joined."""
    emails = [m.span() for m in EMAIL.finditer(text)]
    parts = {
        part.lower()
        for start, end in emails
        for part in re.split(r"[._+-]", text[start:end].split("@")[0])
        if len(part) > 2 and part.isalpha() and not is_english(part.lower())
    }
    if not parts:
        return []
    extra: list[Finding] = []
    for word in WORD.finditer(text):
        if word.group().lower() not in parts:
            continue
        if any(s <= word.start() < e for s, e in emails):
            continue
        start, end = word.span()
        if extra and text[extra[-1][2] : start] == " ":
            start = extra.pop()[1]  # "harriet quarmby": one name, not two
        extra.append(("PERSON", start, end, 0.5))
    return extra


def known(text: str, values: Iterable[tuple[str, str]]) -> list[Finding]:
    """Where the (entity, value) pairs a vault already holds stand in `text`."""
    return [
        (entity, start, end, 1.0)
        for entity, value in values
        for start, end in occurrences(text, value)
    ]

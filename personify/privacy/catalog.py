"""A tenant's catalog terms: the product names its users' text may contain, which are
not PII (the allow list of `PresidioRedactor.scoped`), and the rule for what they exempt."""

from __future__ import annotations

import re
from collections.abc import Iterable

from personify.domain import Item
from personify.privacy.identifiers import EMAIL
from personify.privacy.normalize import normalize
from personify.privacy.spans import PiiSpan

# What a catalog term may exempt: words. Numbers, addresses of every kind and ids never.
EXEMPTIBLE = {"PERSON", "LOCATION"}


def catalog_terms(items: Iterable[Item]) -> set[str]:
    """Product names are not PII: item titles and their capitalised words, and tags, less
    anything PII-shaped (an e-mail address, seven digits or more: a phone, a card, an
    IBAN, an account), which a catalog can never exempt."""
    terms: set[str] = set()
    for item in items:
        terms.add(item.title)
        terms.update(w for w in item.title.split() if w[:1].isupper() and len(w) > 2)
        terms.update(item.tags)
    return {normalize(t).text.strip() for t in terms if not pii_shaped(t)} - {""}


def pii_shaped(term: str) -> bool:
    text = normalize(term).text
    return bool(EMAIL.search(text)) or sum(c.isdigit() for c in text) >= 7


def exempt(span: PiiSpan, text: str, allowed: set[str]) -> bool:
    """Whether a tenant's catalog terms exempt a span of (normalised) `text`.

    Only a word can be exempt, never a number or an address: the span must be a person or
    a place, equal to a catalog term, and not PII-shaped. A person's name is exempt only as
    one word standing alone ("ask Jordan about the renewal" where the catalog sells
    "Jordan Analytics"): a span of two or more words read as a person, or one word next
    to another capitalised name word ("Ifeoma Okafor" where a tag is "Okafor"), is always
    masked. A product named like a person then gets masked in users' text: a nuisance,
    where the other way round a catalog entry would switch redaction off for a person."""
    value = text[span.start : span.end].rstrip(".")
    if span.entity not in EXEMPTIBLE or value not in allowed or pii_shaped(value):
        return False
    if span.entity != "PERSON":
        return True
    return len(value.split()) == 1 and not _next_to_a_name(text, span, allowed)


WORD_BEFORE = re.compile(r"([^\W\d_][\w'’-]*) $")
WORD_AFTER = re.compile(r" ([^\W\d_][\w'’-]*)")


def _next_to_a_name(text: str, span: PiiSpan, allowed: set[str]) -> bool:
    """A capitalised word (not a stop word, not opening a sentence) right before or after
    the span, with which it does not make a catalog term: the span is part of a name."""
    value = text[span.start : span.end]
    window = max(0, span.start - 64)
    before = WORD_BEFORE.search(text[window : span.start])
    if before and f"{before.group(1)} {value}" not in allowed:
        opening = text[: window + before.start()].rstrip()
        if _name_word(before.group(1)) and opening and opening[-1] not in ".!?:;\n\"'(":
            return True
    after = WORD_AFTER.match(text, span.end)
    return bool(after and _name_word(after.group(1)) and f"{value} {after.group(1)}" not in allowed)


def _name_word(word: str) -> bool:
    from spacy.lang.en.stop_words import STOP_WORDS

    return word[:1].isupper() and word.lower() not in STOP_WORDS

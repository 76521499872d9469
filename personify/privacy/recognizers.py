"""Recognizers added to Presidio's defaults where the measurements pointed
(`personify eval pii` on the presidio-research and WNUT-17 sets).

Pattern scores sit below the redactor's threshold where a pattern alone is weak; a context
word nearby (Presidio's context enhancement) lifts them over it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

UPPER = "A-ZÀ-ÖØ-ÞĀ-Ž"
WORD = f"[{UPPER}][\\w'’.-]+"
# (entity, name, regex, score, context words)
PATTERNS: list[tuple[str, str, str, float, list[str]]] = [
    # Card numbers that fail the Luhn check or have odd lengths, said to be cards
    (
        "CREDIT_CARD",
        "card digits",
        r"\b\d(?:[ -]?\d){11,18}\b",
        0.2,
        ["card", "credit", "debit", "visa", "mastercard", "amex", "billing"],
    ),
    # Local phone formats phonenumbers does not parse without a region
    (
        "PHONE_NUMBER",
        "digit groups",
        r"(?<![\w-])(?:\+?\d{1,6}[ .-]?)?(?:\(\d{1,4}\)\s?)?\d{2,4}(?:[ .-]\d{2,4}){1,3}(?!\d)",
        0.2,
        [
            "phone",
            "call",
            "tel",
            "telephone",
            "mobile",
            "cell",
            "number",
            "message",
            "reach",
            "answer",
            "office",
            "desk",
            "whatsapp",
            "contact",
            "text",
            "fax",
            "sms",
        ],
    ),
    # Digits said to be a phone by the words around them ("call" is a spaCy stop word, so
    # Presidio's context enhancement never sees it): "call me on 9472 7916", "99 577450 mobile"
    (
        "PHONE_NUMBER",
        "phone after a word",
        r"(?<=\b(?:call|phone|tel|mobile|cell|fax|text|reach|answering|whatsapp|sms|desk|office)\b[^\d\n]{0,12})\+?\(?\d[\d ().-]{5,18}\d",
        0.5,
        [],
    ),
    (
        "PHONE_NUMBER",
        "phone before a word",
        r"\+?\(?\d[\d ().-]{5,18}\d(?=[ -]?(?:office|fax|mobile|home|work|cell|desk|phone)\b)",
        0.5,
        [],
    ),
    # "My name is Rubija", "Name: Sieda Batukayev", "I'm Ada Lovelace"
    (
        "PERSON",
        "introduced name",
        rf"(?<=\b(?:name is|Name:|I am|I'm|This is|called) ){WORD}(?:\s+{WORD}){{0,3}}",
        0.5,
        [],
    ),
    # "What's your last name? Boyle", "her maiden name is nyberg": any case after the question
    (
        "PERSON",
        "name asked",
        r"(?<=\b(?:last|first|maiden|sur|full)\s?name(?: is|\?|:)\s)[\w'’-]{2,}(?:\s[A-Z][\w'’-]+)?",
        0.5,
        [],
    ),
    # A speaker label at the start of a line: "Ubul: What a wife."
    (
        "PERSON",
        "speaker",
        rf"^(?!(?:Note|Subject|Address|Where|When|Date|Time|Re|Fwd|From|To|Cc|Tel|Phone|Fax|Email|Name|Title|Q|A|PS|Bot|User|Answer|Question|Tip|Warning|Error|Step|Example|Total|Price|Summary|Update|Status|Mobile|Desk|Office|Web|Website|Url|Ref|ID|ZIP|Zip|Postcode|Postal|E-mail|E-Mail|Personal|Info|Country|City|State|Company|Job|Role|Department|Dept|DOB|Birthday|Age|Gender|Notes|Location|Contact|Website|Home|Work|Cell)\b){WORD}(?=:\s)",
        0.4,
        [],
    ),
    # Names in a list: "our 3 founders: Kónya, Becker and Vasquez"
    (
        "PERSON",
        "listed names",
        rf"\b{WORD}(?:,\s{WORD}){{1,6}},?\s(?:and|&)\s{WORD}\b",
        0.3,
        [
            "founders",
            "founded",
            "had",
            "kids",
            "children",
            "team",
            "friends",
            "partners",
            "met",
            "members",
            "engineers",
            "sons",
            "daughters",
        ],
    ),
    ("PERSON", "initial", rf"\b{WORD}\s+[{UPPER}]\.?\s+{WORD}\b", 0.5, []),
    # A line holding only two or three capitalised words: a signature, an address block
    (
        "PERSON",
        "name line",
        rf"^(?:>\s?)?{WORD}(?:\s+[{UPPER}]\.?)?\s+{WORD}(?:\s+{WORD})?(?=[ \t]*$)",
        0.4,
        [],
    ),
    # "follow up with Sigrid Nyström", "it's under Miklós Hajdu", "by Zoe Young"
    (
        "PERSON",
        "after a preposition",
        rf"(?<=\b(?:with|to|by|under|add|dear|thanks|cc|from|for|ask|tell|call) ){WORD}\s+{WORD}\b",
        0.4,
        ["name", "account", "beneficiary", "follow", "contact", "song", "concert"],
    ),
]


def extra_recognizers() -> list[Any]:
    from personify.privacy.addresses import STREET_PATTERNS, address_context
    from personify.privacy.gazetteers import name_list_recognizer, place_recognizer
    from personify.privacy.identifiers import identifier_recognizers
    from personify.privacy.names import NAME_PATTERNS, name_recognizers
    from personify.privacy.places import place_recognizers

    # Presidio matches case-insensitively by default; a name needs its capitals.
    table = [
        (entity, name, regex, score, context, re.MULTILINE | (0 if entity == "PERSON" else re.I))
        for entity, name, regex, score, context in PATTERNS
    ]
    table += [
        ("STREET_ADDRESS", name, regex, score, address_context(), re.MULTILINE)
        for name, regex, score in STREET_PATTERNS
    ]
    table += [
        ("PERSON", name, regex, score, [], re.MULTILINE) for name, regex, score in NAME_PATTERNS
    ]
    return [
        name_list_recognizer(),
        place_recognizer(),
        *identifier_recognizers(),
        *name_recognizers(),
        *place_recognizers(),
        *_grouped(table),
    ]


def _grouped(table: Sequence[tuple[str, str, str, float, list[str], int]]) -> list[Any]:
    """One Presidio recognizer per entity, context and flags, holding all their patterns:
    Presidio's work per recognizer (duplicates, context) is paid once, not per pattern."""
    from presidio_analyzer import Pattern, PatternRecognizer

    groups: dict[tuple[str, tuple[str, ...], int], list[Any]] = {}
    for entity, name, regex, score, context, flags in table:
        groups.setdefault((entity, tuple(context), flags), []).append(Pattern(name, regex, score))
    return [
        PatternRecognizer(
            supported_entity=entity,
            name=f"personify {entity.lower()} patterns {n}",
            patterns=patterns,
            context=list(context),
            global_regex_flags=flags,
        )
        for n, ((entity, context, flags), patterns) in enumerate(groups.items())
    ]

"""Places no gazetteer lists, found where the text says it is a place: after "I live in",
"moved here from", "based in", and on the lines of an address block under its street."""

from __future__ import annotations

import re
from typing import Any

from personify.privacy.addresses import STREET_PATTERNS

UPPER = "A-ZÀ-ÖØ-ÞĀ-Ž"
PLACE_WORD = f"[{UPPER}][\\w'’.-]*"
JOINERS = r"(?:-|[ \t]+(?:on|upon|de|del|la|le|of|am|an|im|sur|en|di)[ \t]+|[ \t]+)"
PLACE = rf"{PLACE_WORD}(?:{JOINERS}{PLACE_WORD}){{0,3}}"

# What people write before a place: "I live in", "moved here from", "based in"
PLACE_TRIGGERS = re.compile(
    r"\b(?i:(?:i|we|he|she|they|who)\s+(?:live|lives|lived|am|is|are|was|were|stay|stayed|"
    r"grew up|work|worked)\s+(?:in|at|near|from)|"
    r"(?:live|lives|living|lived|based|born|raised|located|situated|settled|staying|"
    r"grew up|moved(?: here| back| out)?|relocated|relocating|moving|travell?ing|"
    r"flew|flying|drove|driving|headed|heading|commute|commuting|arrived|returned|trip|"
    r"visit|visiting|visited|home(?:town)?|originally|hail|hails|native)\s+(?:(?:here|back|"
    r"there|over)\s+)?(?:in|to|from|at|near|of|outside)?\s*|"
    r"(?:city|town|village|county|state|province|region|suburb|university) of\s+|"
    r"(?:i'm|i am|we're|we are|i was|i'll be|we'll be)\s+(?:in|from|at)\s+)"
    rf"(?P<place>{PLACE})"
)
MONTHS_AND_DAYS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "monday", "tuesday", "wednesday", "thursday",
    "friday", "saturday", "sunday", "today", "tomorrow", "tonight", "christmas", "easter",
}  # fmt: skip
# Line openers in quoted or bulleted address blocks: "> ", "??? ", "- "
QUOTE = re.compile(r"^[ \t>?*•-]*")
# A city line, a country line: a few capitalised words, maybe a state and a postcode
PLACE_LINE = re.compile(
    rf"(?P<place>{PLACE_WORD}(?:[ \t]+{PLACE_WORD}){{0,3}})"
    rf"(?:,?[ \t]+(?:[A-Z]{{2}}|[\dA-Z]{{2,5}}(?:[ -]?[\dA-Z]{{2,4}})?))?[ \t,]*$"
)
ADDRESS_LINE = re.compile("|".join(f"(?:{regex})" for _, regex, _ in STREET_PATTERNS), re.MULTILINE)


def place_recognizers() -> list[Any]:
    from presidio_analyzer import EntityRecognizer, RecognizerResult

    def entities_at(nlp_artifacts: Any) -> list[tuple[int, int, str]]:
        spans = getattr(nlp_artifacts, "entities", None) or []
        return [(e.start_char, e.end_char, e.label_) for e in spans]

    class PlaceInContextRecognizer(EntityRecognizer):
        """A capitalised name after words that say a place comes next, unless the NER
        model reads it as a person, an organisation or a date."""

        def load(self) -> None:
            return None

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            found = []
            ents = entities_at(nlp_artifacts)
            for match in PLACE_TRIGGERS.finditer(text):
                start, end = match.span("place")
                end -= match.group("place").endswith(".")
                if match.group("place").split()[0].lower() in MONTHS_AND_DAYS:
                    continue
                if any(
                    s < end
                    and start < e
                    and label in {"PERSON", "ORGANIZATION", "DATE_TIME", "NRP"}
                    for s, e, label in ents
                ):
                    continue
                found.append(RecognizerResult("LOCATION", start, end, 0.55))
            return found

    class AddressBlockRecognizer(EntityRecognizer):
        """The city and country lines under a street line: "Port Whitney, NV 12345"."""

        def load(self) -> None:
            return None

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            found = []
            below = 0  # lines still to read under the last street line
            offset = 0
            for line in text.split("\n"):
                quote = QUOTE.match(line)
                body_start = quote.end() if quote else 0
                body = line[body_start:]
                if ADDRESS_LINE.search(body):
                    below = 3
                elif below and body.strip():
                    below -= 1
                    place = PLACE_LINE.match(body)
                    if place:
                        start = offset + body_start + place.start("place")
                        end = offset + body_start + place.end("place")
                        found.append(RecognizerResult("LOCATION", start, end, 0.5))
                offset += len(line) + 1
            return found

    return [
        PlaceInContextRecognizer(
            supported_entities=["LOCATION"], name="personify place in context"
        ),
        AddressBlockRecognizer(supported_entities=["LOCATION"], name="personify address block"),
    ]

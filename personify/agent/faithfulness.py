"""Faithfulness: each sentence a model writes must stand on what it was given (the
candidates' titles and descriptions, the redacted profile, the question, the conversation).

A small model fills gaps with confident inventions: figures ("1.3% of total sales"),
report names, denials of what a candidate plainly offers ("You can't catch late loads"
beside Data Quality Monitor). Such a sentence is unsupported and is cut before the user
sees it. The check is deterministic and needs no model: numbers and names must occur in
the context, a denial must not contradict a candidate, most of a sentence's content
words must occur there too (the threshold was tuned on the train half of
evals/data/faithfulness.jsonl; `personify eval faithfulness` measures the held-out half),
and a chat sentence must do more than say the user's question back."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from langchain_core.messages import BaseMessage

from personify.agent.guards import MARKER, GuardFailure
from personify.domain import Candidate
from personify.privacy.vault import PLACEHOLDER

Unsupported = Literal["number", "name", "denial", "claim", "echo"]

SENTENCE_END = re.compile(r"[.!?\n](?=\s)")
# A product-like name: a run of capitalised words ("Ad Spend vs Revenue Report").
WORD = r"[A-Z][\w'’&+]*(?:-[\w'’&+]+)*"
CONNECTOR = r"(?:vs\.?|and|of|for|to|&|the|in|on|with|by)"
NAME_RUN = re.compile(rf"\b{WORD}(?:\s+(?:{CONNECTOR}\s+)*{WORD})+")
CAPITALISED = re.compile(rf"\b{WORD}")
AND = re.compile(r"\s(?:and|&)\s")
SENTENCE_START = re.compile(r"(?:^|[.!?:;\n]|[\"“(]|[-*•])\s*$")
NUMBER = re.compile(r"(?<![A-Za-z0-9.,])\$?\d+(?:[.,]\d+)*")
WRITTEN = re.compile(
    r"\b(eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"hundred|thousand|million|billion|percent|dozens?|half)\b",
    re.IGNORECASE,
)
DENIAL = re.compile(
    r"\b(can'?t|can’t|cannot|can not|couldn'?t|couldn’t|won'?t|won’t|doesn'?t|doesn’t|"
    r"does not|didn'?t|isn'?t|isn’t|is not|aren'?t|aren’t|are not|unable to|no way to|"
    r"not (?:available|possible|supported|offered|included)|unavailable|lacks?|"
    r"there (?:is|are|'s|’s) no)\b",
    re.IGNORECASE,
)
# "so you won't miss a late load" praises a candidate; it does not deny it.
BENEFIT = re.compile(
    r"^\W*(?:\w+\W+){0,2}?(miss|go unnoticed|slip|worry|need to|have to|lose|forget|guess)",
    re.IGNORECASE,
)
TOKEN = re.compile(r"[a-z][a-z'’]*[a-z]|[a-z]")
# Words that carry no claim: function words and an assistant's stock phrasing.
FILLER = frozenset(
    # English function words (NLTK's list, less its negations) ...
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what which
    who whom this that these those am is are was were be been being have has had having do
    does did doing a an the and but if or because as until while of at by for with about
    against between into through during before after above below to from up down in out on
    off over under again further then once here there when where why how all any both each
    few more most other some such only own same so than too very can will just should now
    also would could may might must shall let lets yet still even ever already whether via
    per versus vs upon within across along around"""
    # ... and an assistant's stock phrasing, which claims nothing.
    """ one ones get gets got make makes made keep way ways thing things something anything
    everything lot really quite well sure okay ok oh hi hello hey thanks thank please
    welcome glad happy great good nice best better fine perfect awesome excellent useful
    helpful handy easy easier simple quick quickly fast help start started try use using
    used see look find need want like work working place places first next step steps set
    check go going give take put tell ask question answer course idea ideas option options
    choice suggest recommend fit fits suits suit match matches interest interests
    interested based able ready aboard journey explore dive begin tool tools feature
    features item items area areas team teams love enjoy worth consider whole part easily
    everyone anyone someone""".split()
)
MIN_CHARS = 20  # less than this left once sentences are cut is no answer
MIN_CONTENT = 3  # a sentence with fewer content words makes no checkable claim
MIN_SUPPORT = 0.5  # share of content words the context must hold (tuned on train)
MIN_ECHO = 2  # content words a sentence (and the question) needs to be called an echo
ECHO_SHARE = 0.6  # share of the question's content words an echo repeats (chosen on train)
# Words that say a question was asked without adding to it: "you asked about", "your goal"
ECHO_META = frozenset(
    "asked asking want wants wanted wondering wonder goal looking somewhere setting".split()
)


@dataclass(frozen=True, kw_only=True)
class Verdict:
    supported: bool
    reason: Unsupported | None = None
    detail: str = ""  # the number, name or words the context lacks


SUPPORTED = Verdict(supported=True)


def stem(word: str) -> str:
    """A crude stem: "alerts", "alerting" and "alerted" meet at "alert"."""
    word = word.replace("’", "'").removesuffix("'s").strip("'")
    if len(word) <= 4 or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    for suffix in ("ing", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def name_runs(text: str) -> Iterator[str]:
    """Product-like names in `text`: runs of two or more capitalised words, less a first
    word that is only capitalised because it opens the sentence ("Try Data Quality")."""
    for match in NAME_RUN.finditer(text):
        words = match.group().split()
        if SENTENCE_START.search(text[: match.start()]) or words[0] == "I":
            words = words[1:]
        while words and re.fullmatch(CONNECTOR, words[0]):
            words = words[1:]
        if len(words) >= 2:
            yield " ".join(words)


def sentences(text: str) -> list[str]:
    """`text` in sentences, each with the whitespace before it: joined, they are `text`."""
    cuts = [0, *(m.end() for m in SENTENCE_END.finditer(text)), len(text)]
    return [text[a:b] for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


@dataclass(frozen=True, kw_only=True)
class Kept:
    text: str  # the supported sentences, in order
    cut: list[Verdict] = field(default_factory=list)  # one per sentence cut


class Faithfulness:
    def __init__(
        self,
        context: Iterable[str],
        offers: Iterable[str] = (),
        titles: Mapping[str, str] | None = None,
        min_support: float = MIN_SUPPORT,
        question: str = "",
    ) -> None:
        """`context`: every text the model was given; `offers`: what each candidate does
        (its title and description), which a denial must not contradict; `titles`: the
        candidates' titles by id, for [[id]] markers; `question`: what the user asked, which
        a sentence must do more than repeat."""
        offers = list(offers)
        self._text = "\n".join([*context, *offers]).lower()
        self._offers = [_content(o) for o in offers]
        self._numbers = {_number(n) for n in NUMBER.findall(self._text)}
        self._words = set(TOKEN.findall(self._text))
        self._stems = {stem(w) for w in self._words}
        self._titles = dict(titles or {})
        self._min_support = min_support
        self._asked = {stem(w) for w in _content_words(question) if w not in ECHO_META}

    @classmethod
    def of(
        cls,
        messages: Iterable[BaseMessage],
        candidates: Iterable[Candidate],
        *,
        min_support: float = MIN_SUPPORT,
        question: str = "",
    ) -> Faithfulness:
        """The check for one model call: its prompt, its candidates and, for a chat answer,
        the user's question."""
        shown = list(candidates)
        return cls(
            [str(m.content) for m in messages],
            [_offer(c) for c in shown],
            {c.item.id: c.item.title for c in shown},
            min_support=min_support,
            question=question,
        )

    def check(self, sentence: str) -> Verdict:
        """Whether the context supports `sentence` (as the model wrote it: placeholders
        and [[id]] markers in place)."""
        text = PLACEHOLDER.sub(" ", sentence)
        titled = MARKER.sub(lambda m: self._titles.get(m.group(1), " "), text)
        # Names are read with each marker as a break: a title the marker stands for is
        # known, and must not join a capitalised word beside it ("SLAs in Support SLA...").
        if not (verdict := self._names_of(MARKER.sub(" ; ", text))).supported:
            return verdict
        for check in (self._numbers_of, self._denial_of, self._claim_of, self._echo_of):
            if not (verdict := check(titled)).supported:
                return verdict
        return SUPPORTED

    def keep_supported(self, text: str) -> Kept:
        """`text` without its unsupported sentences."""
        kept, cut = [], []
        for sentence in sentences(text):
            verdict = self.check(sentence) if sentence.strip() else SUPPORTED
            if verdict.supported:
                kept.append(sentence)
            else:
                cut.append(verdict)
        return Kept(text="".join(kept).lstrip(), cut=cut)

    def _numbers_of(self, text: str) -> Verdict:
        for raw in NUMBER.findall(text):
            if _number(raw) not in self._numbers:
                return Verdict(supported=False, reason="number", detail=raw)
        for match in WRITTEN.finditer(text):
            if match.group().lower() not in self._words:
                return Verdict(supported=False, reason="number", detail=match.group())
        return SUPPORTED

    def _names_of(self, text: str) -> Verdict:
        for name in name_runs(text):
            parts = [p.strip() for p in AND.split(name)]  # "Azure AD and Google Workspace"
            if name.lower() not in self._text and not all(map(self._knows_name, parts)):
                return Verdict(supported=False, reason="name", detail=name)
        for match in CAPITALISED.finditer(text):
            word = re.split(r"['’]", match.group())[0]
            if word == "I" or SENTENCE_START.search(text[: match.start()]):
                continue
            if not self._knows_name(word):
                return Verdict(supported=False, reason="name", detail=word)
        return SUPPORTED

    def _knows_name(self, name: str) -> bool:
        if " " in name:
            return name.lower() in self._text
        return all(self._knows(w) for w in TOKEN.findall(name.lower()))

    def _denial_of(self, text: str) -> Verdict:
        """A denial is unsupported when what it denies is what a candidate offers."""
        for match in DENIAL.finditer(text):
            if BENEFIT.match(text[match.end() :]):
                continue
            said = _content(text[: match.start()] + " " + text[match.end() :])
            for offer in self._offers:
                if len(said & offer) >= 2:
                    return Verdict(supported=False, reason="denial", detail=match.group())
        return SUPPORTED

    def _claim_of(self, text: str) -> Verdict:
        words = [w for w in TOKEN.findall(text.lower()) if w not in FILLER and len(w) > 2]
        if len(words) < MIN_CONTENT:
            return SUPPORTED
        missing = [w for w in words if not self._knows(w)]
        if 1 - len(missing) / len(words) < self._min_support:
            return Verdict(supported=False, reason="claim", detail=" ".join(missing))
        return SUPPORTED

    def _echo_of(self, text: str) -> Verdict:
        """A sentence that only says the question back ("Which report shows ad spend
        against revenue?" as the answer to it) answers nothing: it names no candidate,
        every content word in it is the user's own, and it repeats most of the question."""
        asked = self._asked
        words = [w for w in _content_words(text) if w not in ECHO_META]
        if len(asked) < MIN_ECHO or len(words) < MIN_ECHO:
            return SUPPORTED
        if not all(_echoes(w, asked) for w in words):
            return SUPPORTED
        if len({a for a in asked if any(_echoes(w, {a}) for w in words)}) < ECHO_SHARE * len(asked):
            return SUPPORTED
        lowered = text.lower()
        if any(title.lower() in lowered for title in self._titles.values()):
            return SUPPORTED
        return Verdict(supported=False, reason="echo", detail=" ".join(words))

    def _knows(self, word: str) -> bool:
        return word in self._words or stem(word) in self._stems


def is_denial(sentence: str) -> bool:
    """Whether the sentence says something can't be done ("does not have", "no way to")."""
    return any(not BENEFIT.match(sentence[m.end() :]) for m in DENIAL.finditer(sentence))


def faithful(text: str, faithfulness: Faithfulness) -> Kept:
    """`text` less its unsupported sentences; GuardFailure("unfaithful") when too little
    of it is left to be an answer."""
    kept = faithfulness.keep_supported(text)
    if kept.cut and len(kept.text.strip()) < MIN_CHARS:
        raise GuardFailure("unfaithful")
    return kept


def _content_words(text: str) -> list[str]:
    """The words that carry a claim: not filler, nor a filler word's contraction ("you'd")."""
    words = TOKEN.findall(text.lower())
    return [w for w in words if len(w) > 2 and re.split("['’]", w)[0] not in FILLER]


def _echoes(word: str, asked: set[str]) -> bool:
    """Whether `word` is one of the question's words, give or take its ending."""
    root = stem(word)
    return root in asked or any(root.startswith(a) or a.startswith(root) for a in asked)


def _offer(candidate: Candidate) -> str:
    item = candidate.item
    return " ".join([item.title, item.description, *item.tags])


def _content(text: str) -> set[str]:
    words = TOKEN.findall(text.lower())
    return {stem(w) for w in words if w not in FILLER and len(w) > 2}


def _number(raw: str) -> str:
    return raw.lstrip("$").replace(",", "")

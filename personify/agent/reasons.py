"""A reason per candidate that a user can check, built from the signal that chose it.

The generators label a candidate with where it came from ("Matches what you asked
about"), which is the same for every item. Here a reason says what about this item fits
this user: the clause of its own description closest to the question or goal, the
stated interest it matches, or the recent item it resembles ("Like SQL Editor, which you
used yesterday"). It lives with the agent, not the recommender: it needs the question's
text and the embedder, which the fast no-model recommendations path does without.

Reasons are made from redacted inputs only (interests with a placeholder are skipped),
so the same text can go into the prompt, the stored answer and the user's card."""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from personify.domain import Candidate, Item, Profile
from personify.retrieval.embeddings import Embedder
from personify.retrieval.profiles import DAY, event_weight
from personify.store import Store

# The fixed phrases the generators and the fallback give for any item: they say nothing
# about this item or this user. One list, read by the fallback and the answer eval.
STOCK_REASONS = frozenset(
    {
        "Matches what you asked about",
        "Close to what you have used",
        "Fits your stated interests",
        "Close to what you opened last",
        "Liked by people with similar taste",
        "Popular with other users",
        "Also in the catalog",
        "Recommended for you",
        "Near what you asked",
    }
)
STOCK_PATTERNS = (re.compile(r"In [^,]+, one of your most used areas"),)
QUESTION_FIT = 0.45  # cosine of a description clause with the question: it answers it
INTEREST_FIT = 0.5  # cosine of an item with a stated interest, when no word says so
RECENT_FIT = 0.45  # cosine of an item with one the user touched: "Like X" (top 5% of pairs)
HISTORY_FIT = 0.4  # the same, for an item the generators found from the user's history
HISTORY = frozenset({"Close to what you opened last", "Close to what you have used"})
CACHED = 4096  # texts whose vectors are kept
STOPWORDS = frozenset("a an and the of for to in on with my our your i we data".split())
VERBS = {"use": "used", "view": "viewed", "click": "opened", "like": "liked", "purchase": "bought"}

ASKED = "Matches what you asked about"  # the generators' label for a question's neighbours
# The label's honest form when no clause answers the question (a stock phrase as well).
NEAR = "Near what you asked"
ReasonKind = Literal["question", "interest", "recent", "together", "source"]


@dataclass(frozen=True, kw_only=True)
class Recent:
    """An item the user touched, and how long ago."""

    item: Item
    event: str  # the event type: use, view, click, ...
    days: float


@dataclass(frozen=True, kw_only=True)
class Signals:
    """What the reasons are built from, all redacted."""

    query: np.ndarray | None  # the question or goal as retrieval embedded it
    interests: Sequence[str] = ()  # stated in traits or in chat
    recent: Sequence[Recent] = ()  # newest first


@dataclass(frozen=True, kw_only=True)
class Reason:
    text: str  # what the card shows
    kind: ReasonKind
    because: str  # the personal part as a phrase ("since you used SQL Editor today"), or ""
    clause: str  # the description's clause that answers the question, else its first
    fit: float  # the best clause's cosine with the question; 0.0 without a question


def is_stock(reason: str) -> bool:
    text = reason.strip().rstrip(".")
    return text in STOCK_REASONS or any(p.fullmatch(text) for p in STOCK_PATTERNS)


class Explainer:
    """Makes reasons; keeps the vectors of descriptions' clauses it has embedded."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # one agent serves every request thread

    def explain(self, candidates: Sequence[Candidate], signals: Signals) -> dict[str, Reason]:
        texts = [c.item.text() for c in candidates] + [r.item.text() for r in signals.recent]
        clauses = {c.item.id: clauses_of(c.item.description) for c in candidates}
        plain = [x for c in candidates for x in clauses[c.item.id]]
        titled = [titled_clause(c.item, x) for c in candidates for x in clauses[c.item.id]]
        vectors = self._vectors([*texts, *signals.interests, *plain, *titled])
        return {
            c.item.id: self._reason(c, clauses[c.item.id], signals, vectors) for c in candidates
        }

    def _reason(
        self,
        candidate: Candidate,
        clauses: list[str],
        signals: Signals,
        vectors: Mapping[str, np.ndarray],
    ) -> Reason:
        clause, fit = _best_clause(candidate.item, clauses, signals.query, vectors)
        item = vectors[candidate.item.text()]
        if signals.query is not None and fit >= QUESTION_FIT:
            text = sentence_case(clause)
            return Reason(text=text, kind="question", because="", clause=clause, fit=fit)
        lead = clauses[0] if clauses else ""  # what the item is, when the question missed it
        interest = _interest(candidate.item, item, signals.interests, vectors)
        if interest is not None:
            because = f"for your interest in {interest}"
            text = _joined(sentence_case(because), lead)
            return Reason(text=text, kind="interest", because=because, clause=lead, fit=fit)
        from_history = any(r in HISTORY for r in candidate.reasons)
        like = _like(item, signals.recent, vectors, HISTORY_FIT if from_history else RECENT_FIT)
        if like is not None:
            verb, when = VERBS.get(like.event, "opened"), _when(like.days)
            text = f"Like {like.item.title}, which you {verb} {when}"
            because = f"since you {verb} {like.item.title} {when}"
            return Reason(text=text, kind="recent", because=because, clause=lead, fit=fit)
        together = next((r for r in candidate.reasons if r.startswith("Often used together")), None)
        if together is not None:
            return Reason(text=together, kind="together", because="", clause=lead, fit=fit)
        label = next((r for r in candidate.reasons if r != ASKED), NEAR)
        return Reason(text=_joined(label, lead), kind="source", because="", clause=lead, fit=fit)

    def _vectors(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        with self._lock:
            known = {t: self._cache[t] for t in texts if t in self._cache}
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        fresh = dict(zip(missing, self._embedder.embed(missing), strict=True)) if missing else {}
        with self._lock:
            for text in known:
                if text in self._cache:  # another request may have pushed it out
                    self._cache.move_to_end(text)
            self._cache.update(fresh)
            while len(self._cache) > CACHED:
                self._cache.popitem(last=False)
        return {**known, **fresh}


def lead_with(candidates: list[Candidate], reasons: Mapping[str, Reason]) -> None:
    """Put each candidate's own reason before the generators' labels, in place (the list
    keeps whatever else the recommender noted on it)."""
    for n, candidate in enumerate(candidates):
        reason = reasons.get(candidate.item.id)
        if reason is not None:
            update = {"reasons": (reason.text, *candidate.reasons)}
            candidates[n] = candidate.model_copy(update=update)


def recent_items(store: Store, profile: Profile, count: int = 5) -> list[Recent]:
    """The items the user last used, viewed or liked, newest first; none without consent
    to personalization."""
    if not profile.personalized:
        return []
    history = store.events.history([profile.user_id]).get(profile.user_id, [])
    latest = {}
    for entry in reversed(history):
        if entry.item_id and entry.item_id not in latest and event_weight(entry) > 0:
            latest[entry.item_id] = entry
            if len(latest) >= count:
                break
    items = store.catalog.get_many(list(latest))
    now = time.time()
    return [
        Recent(item=items[i], event=e.type, days=(now - e.ts) / DAY)
        for i, e in latest.items()
        if i in items
    ]


def clauses_of(description: str) -> list[str]:
    """The description's sentences, and the parts of each that stand on their own
    ("Drag tiles, set a refresh schedule, and pin the numbers ..." has three)."""
    out: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+", description.strip()):
        sentence = sentence.strip().rstrip(".!?")
        if not sentence:
            continue
        out.append(sentence)
        parts = [p.strip() for p in re.split(r";\s+|:\s+|,\s+(?:and|so|with)\s+", sentence)]
        if len(parts) > 1:
            out += [p for p in parts if len(p.split()) >= 4]
    return out


def titled_clause(item: Item, clause: str) -> str:
    """A clause as it is also matched to a question: with the item's name, which a
    question often says ("How do I connect BigQuery?")."""
    return f"{item.title}: {clause}"


def _best_clause(
    item: Item, clauses: list[str], query: np.ndarray | None, vectors: Mapping[str, np.ndarray]
) -> tuple[str, float]:
    if not clauses:
        return "", 0.0
    if query is None:
        return clauses[0], 0.0
    fits = [
        max(float(vectors[c] @ query), float(vectors[titled_clause(item, c)] @ query))
        for c in clauses
    ]
    best = int(np.argmax(fits))
    return clauses[best], fits[best]


def _interest(
    item: Item, vector: np.ndarray, interests: Sequence[str], vectors: Mapping[str, np.ndarray]
) -> str | None:
    """The stated interest the item is about: every word of it in the item's text, else
    the closest one by meaning. Interests holding a placeholder are never repeated."""
    words = _words(item.text())
    usable = [i for i in interests if i.strip() and "<" not in i]
    for interest in usable:
        wanted = _words(interest) - STOPWORDS
        if wanted and wanted <= words:
            return interest
    fits = [(float(vectors[i] @ vector), i) for i in usable]
    best = max(fits, default=(0.0, ""))
    return best[1] if best[0] >= INTEREST_FIT else None


def _like(
    vector: np.ndarray, recent: Sequence[Recent], vectors: Mapping[str, np.ndarray], floor: float
) -> Recent | None:
    """The recent item most like this one, if it is alike enough."""
    fits = [(float(vectors[r.item.text()] @ vector), n) for n, r in enumerate(recent)]
    best = max(fits, default=(0.0, 0))
    return recent[best[1]] if best[0] >= floor else None


def _when(days: float) -> str:
    if days < 1:
        return "today"
    if days < 2:
        return "yesterday"
    if days < 14:
        return f"{int(days)} days ago"
    return f"{int(days // 7)} weeks ago" if days < 60 else "a while ago"


def _words(text: str) -> set[str]:
    return {
        w[:-1] if len(w) > 3 and w.endswith("s") else w for w in re.findall(r"\w+", text.lower())
    }


def _joined(label: str, clause: str) -> str:
    return f"{label}: {lower_first(clause)}" if clause else label


def sentence_case(clause: str) -> str:
    return clause[:1].upper() + clause[1:]


def lower_first(clause: str) -> str:
    """A clause after a colon: its first letter lower case, unless it starts an acronym."""
    if len(clause) > 1 and clause[1].isupper():
        return clause
    return clause[:1].lower() + clause[1:]

"""Per-user profile maths: event weights, decayed running sums, features and the vector.

A profile keeps running sums (item vectors and category weights, exponentially decayed
with a half-life) so each batch of events is folded in without rereading history. Uniform
decay does not change a sum's direction or shares, so the sums are kept as of the newest
event seen and never need ageing at read time."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from personify.domain import Activity, AgentNotes, LogEntry, ProfileFeatures, UserTraits

DAY = 86_400.0
HALF_LIFE_DAYS = 14.0
# How strongly each event type says "this user wants things like this item".
EVENT_WEIGHTS: Mapping[str, float] = {
    "view": 1.0,
    "impression": 0.0,
    "click": 2.0,
    "card_click": 2.0,
    "use": 3.0,
    "add": 3.0,
    "enable": 3.0,
    "like": 4.0,
    "purchase": 5.0,
    "complete": 4.0,
    "dislike": -4.0,
}
INTEREST_SHARE = 0.4  # stated interests' share of the profile vector when both exist
CHAT_WEIGHT = 1.5  # interests said in chat weigh this much more than stated traits
DISLIKE_PUSH = 0.5  # how far a stated dislike pushes the profile vector away


def event_weight(entry: LogEntry) -> float:
    if entry.type == "rating":
        return (entry.value if entry.value is not None else 3.0) - 2.5
    return EVENT_WEIGHTS.get(entry.type, 1.0)


def decay(age_seconds: float) -> float:
    return 0.5 ** (max(age_seconds, 0.0) / (HALF_LIFE_DAYS * DAY))


@dataclass(kw_only=True)
class ProfileState:
    behaviour: np.ndarray | None = None  # decayed sum of positively weighted item vectors
    affinity: dict[str, float] = field(default_factory=dict)  # decayed weight per category
    interests: np.ndarray | None = None  # stated interests; longer when stated in chat
    dislikes: np.ndarray | None = None  # embedded stated dislikes
    at: float = 0.0  # the time the sums are expressed at


def fold(
    state: ProfileState,
    entries: Iterable[LogEntry],
    item_vectors: Mapping[str, np.ndarray],
    categories: Mapping[str, str],
) -> ProfileState:
    """A new state with the entries added (in any arrival order)."""
    behaviour = None if state.behaviour is None else state.behaviour.astype(np.float64)
    affinity = dict(state.affinity)
    at = state.at
    for entry in sorted(entries, key=lambda e: e.ts):
        if entry.ts > at:  # move the sums forward to the newest time seen
            factor = decay(entry.ts - at) if at else 1.0
            behaviour = None if behaviour is None else behaviour * factor
            affinity = {c: v * factor for c, v in affinity.items()}
            at = entry.ts
        weight = event_weight(entry)
        scaled = weight * decay(at - entry.ts)
        category = categories.get(entry.item_id or "")
        if category:
            affinity[category] = affinity.get(category, 0.0) + scaled
        vector = item_vectors.get(entry.item_id or "")
        if vector is not None and weight > 0:
            behaviour = vector * scaled if behaviour is None else behaviour + vector * scaled
    return ProfileState(
        behaviour=behaviour,
        affinity=affinity,
        interests=state.interests,
        dislikes=state.dislikes,
        at=at,
    )


def features(state: ProfileState, activity: Activity | None, now: datetime) -> ProfileFeatures:
    if activity is None or activity.total == 0:
        return ProfileFeatures()
    normalised = shares(state.affinity)
    return ProfileFeatures(
        events_7d=activity.last_7d,
        events_30d=activity.last_30d,
        events_total=activity.total,
        engagement_ratio=round(activity.engaged / activity.total, 4),
        last_event_at=datetime.fromtimestamp(activity.last_ts, UTC),
        recency_days=round(max(now.timestamp() - activity.last_ts, 0.0) / DAY, 3),
        category_affinity=normalised,
        top_categories=list(normalised)[:3],
    )


def shares(affinity: Mapping[str, float]) -> dict[str, float]:
    """Each category's share of the positive weight, largest first."""
    positive = {c: v for c, v in affinity.items() if v > 0}
    total = sum(positive.values()) or 1.0
    ranked = sorted(positive.items(), key=lambda kv: -kv[1])
    return {c: round(v / total, 4) for c, v in ranked}


def vector(state: ProfileState) -> np.ndarray | None:
    """The profile vector: normalised behaviour blended with stated interests (whose length
    carries their strength), then pushed away from stated dislikes."""
    parts: list[np.ndarray] = []
    if state.behaviour is not None and np.linalg.norm(state.behaviour) > 0:
        parts.append(unit(state.behaviour) * (1 - INTEREST_SHARE))
    if state.interests is not None and np.linalg.norm(state.interests) > 0:
        parts.append(state.interests.astype(np.float32) * INTEREST_SHARE)
    if not parts:
        return None
    total = sum(parts[1:], parts[0])
    if state.dislikes is not None and np.linalg.norm(state.dislikes) > 0:
        total = unit(total) - DISLIKE_PUSH * unit(state.dislikes)
    return unit(total)


def stated_interests(
    traits: UserTraits, notes: AgentNotes, embed: Callable[[list[str]], np.ndarray]
) -> np.ndarray | None:
    """Traits' interests at unit length; interests stated in chat, newer and in the user's
    own words, count CHAT_WEIGHT times as much."""
    texts = [interests_text(traits), ", ".join(notes.interests)]
    vectors = embed([t for t in texts if t])
    if not len(vectors):
        return None
    weights = [w for t, w in zip(texts, (1.0, CHAT_WEIGHT), strict=True) if t]
    return sum((v * w for v, w in zip(vectors, weights, strict=True)), np.zeros_like(vectors[0]))


def stated_dislikes(
    notes: AgentNotes, embed: Callable[[list[str]], np.ndarray]
) -> np.ndarray | None:
    text = ", ".join(notes.dislikes)
    return embed([text])[0] if text else None


def interests_text(traits: UserTraits) -> str:
    """The stated interests we embed: role, industry, goal and interests (not `about`)."""
    parts = [
        traits.role or "",
        traits.industry or "",
        traits.goal or "",
        ", ".join(traits.interests),
    ]
    return ". ".join(p for p in parts if p.strip())


def unit(values: np.ndarray) -> np.ndarray:
    """The vector at length one, as float32 (a zero vector stays zero)."""
    norm = float(np.linalg.norm(values))
    out = values if math.isclose(norm, 0.0) else values / norm
    return out.astype(np.float32)

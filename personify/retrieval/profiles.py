"""Per-user features and the profile vector, recomputed from the log as events arrive."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

import numpy as np

from personify.domain import Event, ProfileFeatures, UserTraits

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
PASSIVE_TYPES = frozenset({"view", "impression"})
INTEREST_SHARE = 0.4  # stated interests' share of the profile vector when both exist


def event_weight(event: Event) -> float:
    if event.type == "rating":
        value = event.properties.get("value", event.properties.get("rating", 3))
        try:
            return float(value) - 2.5
        except (TypeError, ValueError):
            return 0.5
    return EVENT_WEIGHTS.get(event.type, 1.0)


def decay(age_seconds: float) -> float:
    return 0.5 ** (max(age_seconds, 0.0) / (HALF_LIFE_DAYS * DAY))


def compute_features(
    events: Iterable[Event], categories: Mapping[str, str], now: datetime
) -> ProfileFeatures:
    history = list(events)
    if not history:
        return ProfileFeatures()
    now_s = now.timestamp()
    ages = [now_s - e.timestamp.timestamp() for e in history]
    affinity: dict[str, float] = defaultdict(float)
    for event, age in zip(history, ages, strict=True):
        category = categories.get(event.item_id or "")
        if category:
            affinity[category] += event_weight(event) * decay(age)
    positive = {c: v for c, v in affinity.items() if v > 0}
    total = sum(positive.values()) or 1.0
    normalised = {
        c: round(v / total, 4) for c, v in sorted(positive.items(), key=lambda kv: -kv[1])
    }
    engaged = sum(1 for e in history if e.type not in PASSIVE_TYPES)
    last = max(e.timestamp for e in history)
    return ProfileFeatures(
        events_7d=sum(1 for a in ages if a <= 7 * DAY),
        events_30d=sum(1 for a in ages if a <= 30 * DAY),
        events_total=len(history),
        engagement_ratio=round(engaged / len(history), 4),
        last_event_at=last,
        recency_days=round(max(now_s - last.timestamp(), 0.0) / DAY, 3),
        category_affinity=normalised,
        top_categories=list(normalised)[:3],
    )


def interests_text(traits: UserTraits) -> str:
    """The stated interests we embed: role, industry and interests (not free-text `about`)."""
    parts = [traits.role or "", traits.industry or "", ", ".join(traits.interests)]
    return ". ".join(p for p in parts if p.strip())


def profile_vector(
    events: Iterable[Event],
    item_vectors: Mapping[str, np.ndarray],
    interests_vector: np.ndarray | None,
    now: datetime,
) -> np.ndarray | None:
    """Time-decayed blend of interacted items and the embedded stated interests."""
    now_s = now.timestamp()
    behaviour: np.ndarray | None = None
    for event in events:
        vector = item_vectors.get(event.item_id or "")
        weight = event_weight(event)
        if vector is None or weight <= 0:
            continue
        contribution = vector * (weight * decay(now_s - event.timestamp.timestamp()))
        behaviour = contribution if behaviour is None else behaviour + contribution
    parts = [
        (p, w)
        for p, w in ((behaviour, 1 - INTEREST_SHARE), (interests_vector, INTEREST_SHARE))
        if p is not None
    ]
    if not parts:
        return None
    total = sum(_unit(p) * w for p, w in parts)
    return _unit(np.asarray(total, dtype=np.float32))


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector if math.isclose(norm, 0.0) else (vector / norm).astype(np.float32)

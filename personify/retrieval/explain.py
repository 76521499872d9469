"""Reasons from the re-ranker: what raised each item, read from the trained model's
per-feature contributions (LightGBM's `pred_contrib`), in plain words that name the real
item or category: "Because you bought Espresso Cups", "Often bought after Espresso Cups",
"Popular in Kitchen", "In Kitchen, one of your most used areas".

Features are grouped into the signals a person would recognise; a signal that pushed the
item up comes first, the strongest first. Signals that held it back say nothing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from personify.retrieval.candidates import RANKER_FEATURES

# signal -> the features that carry it
SIGNALS: dict[str, tuple[str, ...]] = {
    "neighbours": ("neighbours_rank", "neighbour_score"),
    "transitions": ("transitions_rank", "transition_score"),
    "together": ("covisit_rank", "covisit_score"),
    "taste": ("als_rank", "als_score"),
    "ease": ("ease_rank", "ease_score"),
    "vector": ("vector_rank", "vector_sim"),
    "recent": ("recent_rank", "recent_sim"),
    "popular": ("popular_rank", "log_popularity", "item_age_days"),
    "area": ("category_affinity", "category_recent"),
}
COLUMNS = {s: [RANKER_FEATURES.index(f) for f in fs] for s, fs in SIGNALS.items()}
# what the user did with an item, as the reason says it
VERBS = {"purchase": "bought", "order": "ordered", "rating": "rated", "view": "viewed"}
# what people did next, as the reason says it
NEXT = {"purchase": "bought", "order": "ordered", "rating": "chosen", "view": "viewed"}


def signals(contributions: np.ndarray) -> list[str]:
    """The signals that raised an item (positive summed contribution), strongest first."""
    sums = {s: float(contributions[cols].sum()) for s, cols in COLUMNS.items()}
    return [s for s in sorted(sums, key=lambda s: -sums[s]) if sums[s] > 0]


@dataclass(frozen=True, kw_only=True)
class Said:
    """What the reasons for one item can name."""

    category: str
    vector_reason: str  # the profile or question vector's reason
    via: str  # the title of the item co-visitation reached it from ("" if none)
    recent: str  # the title of the user's newest item ("" if none)
    # (signal) -> (title of the user's item that voted most for this one, its event type)
    voter: Callable[[str], tuple[str, str] | None]
    top_categories: frozenset[str]


def reason(signal: str, said: Said) -> str | None:
    """The words for one signal, or None where there is nothing true to name."""
    if signal in ("neighbours", "transitions"):
        found = said.voter(signal)
        if found is None:
            return None
        title, event = found
        if signal == "neighbours":
            return f"Because you {VERBS.get(event, 'used')} {title}"
        return f"Often {NEXT.get(event, 'used')} after {title}"
    if signal == "ease":
        found = said.voter(signal)
        return f"Goes with {found[0]}, which you {VERBS.get(found[1], 'used')}" if found else None
    if signal == "together":
        return f"Often used together with {said.via}" if said.via else None
    if signal == "taste":
        return "Liked by people with similar taste"
    if signal == "vector":
        return said.vector_reason
    if signal == "recent":
        return f"Close to {said.recent}, which you used last" if said.recent else None
    if signal == "popular":
        return f"Popular in {said.category}" if said.category else "Popular with other users"
    if signal == "area":
        if said.category in said.top_categories:
            return f"In {said.category}, one of your most used areas"
        return f"In {said.category}, like what you used lately" if said.category else None
    return None


def reasons(contributions: np.ndarray, said: Said, others: list[str]) -> list[str]:
    """The model's reasons, strongest first, then the generators' (`others`) not said yet."""
    out: list[str] = []
    for signal in signals(contributions):
        text = reason(signal, said)
        if text and text not in out:
            out.append(text)
    return out + [r for r in others if r not in out]


def voter_of(
    titles: Mapping[str, str], find: Callable[[str], tuple[str, str] | None]
) -> Callable[[str], tuple[str, str] | None]:
    """`find(signal)` gives (item id, event type); this gives (title, event type)."""

    def voter(signal: str) -> tuple[str, str] | None:
        found = find(signal)
        if found is None or found[0] not in titles:
            return None
        return titles[found[0]], found[1]

    return voter

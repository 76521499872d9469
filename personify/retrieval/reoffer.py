"""When a user has used every item on offer: the items they used longest ago, again.

An empty list would read as "nothing for you" (and stop onboarding and chat); what the
user has not touched for the longest time is what most deserves another look. Items they
rated down or disliked come last."""

from __future__ import annotations

import time
from collections.abc import Collection

from personify.domain import Candidate
from personify.retrieval.profiles import DAY, event_weight
from personify.store import Store

SOURCE = "used_before"


def used_longest_ago(
    store: Store, user_id: str, n: int, category: str | None, exclude: Collection[str]
) -> list[Candidate]:
    """Up to `n` offered items from the user's history, the one last used longest ago
    first, scored from 1 down the list. Reads all the user's events: the ones used longest
    ago are older than the recent history profiles read (which still tells what they
    disliked lately)."""
    last: dict[str, float] = {}
    for event in store.events.for_user(user_id):  # oldest first
        if event.item_id and event.item_id not in exclude:
            last[event.item_id] = event.timestamp.timestamp()
    net: dict[str, float] = {}
    for entry in store.events.history([user_id]).get(user_id, []):
        if entry.item_id:
            net[entry.item_id] = net.get(entry.item_id, 0.0) + event_weight(entry)
    order = sorted(last, key=lambda i: (net.get(i, 0.0) < 0, last[i]))
    brief = store.catalog.brief(order)
    ids = [
        i
        for i in order
        if i in brief and brief[i].available and category in (None, brief[i].category)
    ][:n]
    items = store.catalog.get_many(ids)
    now = time.time()
    return [
        Candidate(
            item=items[item_id],
            score=round(1.0 - rank / len(ids), 4),
            sources=(SOURCE,),
            reasons=(f"Last used {_ago(now - last[item_id])}: worth another look",),
        )
        for rank, item_id in enumerate(ids)
        if item_id in items
    ]


def _ago(seconds: float) -> str:
    days = int(max(seconds, 0.0) // DAY)
    return "today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"

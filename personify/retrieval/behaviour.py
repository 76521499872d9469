"""Co-visitation and popularity, derived from the event log and kept current in memory.

The log is the source of truth: the index catches up on entries past the last sequence
number it saw (events other workers wrote included), and rebuilds after an erasure.
"""

from __future__ import annotations

import heapq
import threading
from collections import Counter, defaultdict, deque

from personify.domain import LogEntry
from personify.store.events import ANONYMOUS, EventLog

WINDOW = 10  # a new interaction co-occurs with the user's last WINDOW items
SKIP_TYPES = frozenset({"impression", "dislike"})


class BehaviourIndex:
    def __init__(self, log: EventLog | None) -> None:
        self._log = log  # None: a fixed index built from given entries (training)
        self._lock = threading.Lock()
        self._reset()

    @classmethod
    def from_entries(cls, entries: list[LogEntry]) -> BehaviourIndex:
        """An index of these entries only (in time order), not following any log."""
        index = cls(None)
        index._apply(sorted(entries, key=lambda e: (e.ts, e.seq)))
        return index

    def _reset(self) -> None:
        self._seq = 0
        self._generation = -1
        self._recent: dict[str, deque[str]] = defaultdict(lambda: deque(maxlen=WINDOW))
        self._co: dict[str, Counter[str]] = defaultdict(Counter)
        self._popularity: Counter[str] = Counter()
        self._first_seen: dict[str, float] = {}
        self._top_cache: list[tuple[str, float]] | None = None

    def refresh(self) -> None:
        """Catch up with the log; one cheap query when nothing changed."""
        if self._log is None:
            return
        top, generation = self._log.state()
        with self._lock:
            if generation != self._generation:
                self._reset()
                self._generation = generation
            while self._seq < top:
                batch = self._log.since(self._seq)
                if not batch:
                    break
                self._apply(batch)

    def _apply(self, batch: list[LogEntry]) -> None:
        for entry in batch:
            self._seq = max(self._seq, entry.seq)
            item = entry.item_id
            if item is None or entry.type in SKIP_TYPES:
                continue
            self._popularity[item] += 1
            self._first_seen.setdefault(item, entry.ts)
            if entry.user_id == ANONYMOUS:
                continue  # counts for popularity, says nothing about what goes together
            recent = self._recent[entry.user_id]
            if item in recent:
                continue
            for other in recent:
                self._co[item][other] += 1
                self._co[other][item] += 1
            recent.append(item)
        self._top_cache = None

    def popular(self, n: int) -> list[tuple[str, float]]:
        """Most interacted-with items, as (item id, share of the leader's count)."""
        with self._lock:
            if self._top_cache is None or len(self._top_cache) < n:
                top = self._popularity.most_common(max(n, 200))
                lead = float(top[0][1]) if top else 1.0
                self._top_cache = [(i, c / lead) for i, c in top]
            return self._top_cache[:n]

    def counts(self, ids: list[str]) -> dict[str, tuple[int, float | None]]:
        """(interactions, first seen) per item."""
        with self._lock:
            return {i: (self._popularity.get(i, 0), self._first_seen.get(i)) for i in ids}

    def covisited(self, seeds: list[str], n: int) -> list[tuple[str, float, str]]:
        """Items seen together with the seeds (newest seed weighs most): (id, score, via seed)."""
        scores: dict[str, float] = defaultdict(float)
        via: dict[str, str] = {}
        with self._lock:
            for rank, seed in enumerate(reversed(seeds[-WINDOW:])):
                weight = 1.0 / (1 + rank)
                neighbours = self._co.get(seed)
                if not neighbours:
                    continue
                norm = float(sum(neighbours.values())) or 1.0
                for other, count in heapq.nlargest(50, neighbours.items(), key=lambda kv: kv[1]):
                    scores[other] += weight * count / norm
                    via.setdefault(other, seed)  # the newest seed that led here
        top = heapq.nlargest(n, scores.items(), key=lambda kv: kv[1])
        lead = top[0][1] if top else 1.0
        return [(i, s / lead, via[i]) for i, s in top]

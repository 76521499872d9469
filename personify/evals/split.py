"""Train/test splits for the recommendation evaluation. Deterministic given the seed."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass

from personify.evals.dataset import Interaction

HOLDOUT_SHARE = 0.2
MIN_POSITIVES = 3  # users with fewer positives are not scored (their data still trains)
COLD_MAX = 3  # at most this many training interactions: the cold slice
SIMULATED_COLD_SHARE = 0.2
TIME_QUANTILE = 0.8


@dataclass(kw_only=True)
class Split:
    train: list[Interaction]  # what every system learns from (simulated cold cuts applied)
    test: dict[str, set[str]]  # scored user -> held-out positive items
    cold: set[str]  # scored users in the cold slice
    simulated_cold: set[str]  # of those, the ones whose history was cut

    @property
    def users(self) -> list[str]:
        return sorted(self.test)


def is_positive(interaction: Interaction, min_value: float | None) -> bool:
    if min_value is None or interaction.value is None:
        return True
    return interaction.value >= min_value


def by_user(interactions: list[Interaction]) -> dict[str, list[Interaction]]:
    grouped: dict[str, list[Interaction]] = defaultdict(list)
    for interaction in interactions:  # already in time order
        grouped[interaction.user_id].append(interaction)
    return grouped


def split(
    interactions: list[Interaction],
    *,
    how: str = "user-last",
    min_value: float | None = None,
    seed: int = 0,
    simulate_cold: bool = True,
) -> Split:
    if how == "user-last":
        train, held = _user_last(interactions)
    elif how == "time":
        train, held = _time_cut(interactions)
    else:
        raise ValueError(f"--split must be user-last or time, not {how!r}")
    positives: dict[str, int] = defaultdict(int)
    for interaction in interactions:
        if is_positive(interaction, min_value):
            positives[interaction.user_id] += 1
    test: dict[str, set[str]] = defaultdict(set)
    for interaction in held:
        if positives[interaction.user_id] >= MIN_POSITIVES and is_positive(interaction, min_value):
            test[interaction.user_id].add(interaction.item_id)
    scored = sorted(test)
    simulated: set[str] = set()
    if simulate_cold and scored:
        count = round(len(scored) * SIMULATED_COLD_SHARE)
        simulated = set(random.Random(seed).sample(scored, count))
        train = _cut_history(train, simulated)
    counts: dict[str, int] = defaultdict(int)
    for interaction in train:
        counts[interaction.user_id] += 1
    cold = {u for u in scored if counts[u] <= COLD_MAX}
    # An item a user already has in training is not a hit to predict again.
    seen: dict[str, set[str]] = defaultdict(set)
    for interaction in train:
        seen[interaction.user_id].add(interaction.item_id)
    final = {u: items - seen[u] for u, items in test.items() if items - seen[u]}
    return Split(
        train=train,
        test=final,
        cold={u for u in cold if u in final},
        simulated_cold={u for u in simulated if u in final},
    )


def _user_last(interactions: list[Interaction]) -> tuple[list[Interaction], list[Interaction]]:
    train: list[Interaction] = []
    held: list[Interaction] = []
    for history in by_user(interactions).values():
        n_held = max(1, round(len(history) * HOLDOUT_SHARE)) if len(history) > 1 else 0
        cut = len(history) - n_held
        train.extend(history[:cut])
        held.extend(history[cut:])
    train.sort(key=lambda i: (i.ts, i.order))
    return train, held


def _time_cut(interactions: list[Interaction]) -> tuple[list[Interaction], list[Interaction]]:
    times = sorted(i.ts for i in interactions)
    cut = times[min(len(times) - 1, int(len(times) * TIME_QUANTILE))]
    return [i for i in interactions if i.ts < cut], [i for i in interactions if i.ts >= cut]


def _cut_history(train: list[Interaction], users: set[str]) -> list[Interaction]:
    """Keep only the first COLD_MAX training interactions of each user in `users`."""
    kept: list[Interaction] = []
    counts: dict[str, int] = defaultdict(int)
    for interaction in train:
        if interaction.user_id in users:
            counts[interaction.user_id] += 1
            if counts[interaction.user_id] > COLD_MAX:
                continue
        kept.append(interaction)
    return kept

"""`personify eval interleave`: offline team-draft interleaving of two rankers.

Team draft (Radlinski, Kurup and Joachims, "How does clickthrough data reflect retrieval
quality?", CIKM 2008): two teams pick in turn, a coin deciding who picks first in each
round, each adding its ranker's best item not yet in the list. A click credits the team
that placed the item; a user prefers the ranker whose team got more clicks. Netflix uses
it to prune rankers before an A/B test because it needs far fewer users to see a
difference: both rankers are judged by the same user on the same page.

Offline, a click is an interleaved item in the user's held-out future. The lists are the
rankers' real lists from `Personify.recommend`; each user's coin flips come from a
generator seeded by (seed, user id), so a run is reproducible and a user's flips do not
depend on who else is scored."""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from scipy.stats import binomtest

from personify.domain import RankerName
from personify.evals.dataset import Dataset
from personify.evals.experiments import DEPTH, ranker_lists
from personify.evals.report import write_json_and_summary
from personify.retrieval.embeddings import Embedder


@dataclass(frozen=True, kw_only=True)
class Interleaved:
    items: list[str]
    team_a: frozenset[str]
    team_b: frozenset[str]


@dataclass(frozen=True, kw_only=True)
class Preference:
    """How many users preferred A, preferred B, or neither (equal clicks, often none)."""

    wins: int
    losses: int
    ties: int

    @property
    def share(self) -> float | None:
        """A's share of the users with a preference: 0.5 is no difference."""
        decided = self.wins + self.losses
        return self.wins / decided if decided else None

    def to_json(self) -> dict[str, Any]:
        decided = self.wins + self.losses
        found: dict[str, Any] = {"share_a": None, "ci95": None, "p_value": None}
        if decided:
            test = binomtest(self.wins, decided, 0.5)
            span = test.proportion_ci(method="wilson")
            found = {
                "share_a": round(self.wins / decided, 4),
                "ci95": [round(float(span.low), 4), round(float(span.high), 4)],
                "p_value": float(test.pvalue),
            }
        return {**asdict(self), **found}


def team_draft(a: Sequence[str], b: Sequence[str], coin: random.Random, depth: int) -> Interleaved:
    """Algorithm 2 of Radlinski et al. 2008, cut at `depth` items."""
    items: list[str] = []
    placed: set[str] = set()
    teams: dict[str, set[str]] = {"a": set(), "b": set()}
    rankings = {"a": list(a), "b": list(b)}
    while len(items) < depth:
        left = {t: [i for i in ranked if i not in placed] for t, ranked in rankings.items()}
        if not left["a"] or not left["b"]:
            break
        size_a, size_b = len(teams["a"]), len(teams["b"])
        team = "a" if size_a < size_b or (size_a == size_b and coin.random() < 0.5) else "b"
        item = left[team][0]
        items.append(item)
        placed.add(item)
        teams[team].add(item)
    return Interleaved(items=items, team_a=frozenset(teams["a"]), team_b=frozenset(teams["b"]))


def preference(
    users: Sequence[str],
    a_lists: Sequence[Sequence[str]],
    b_lists: Sequence[Sequence[str]],
    future: Mapping[str, set[str]],
    *,
    seed: int = 0,
    depth: int = DEPTH,
) -> Preference:
    """Each user's interleaved list clicked where it meets their held-out future."""
    wins = losses = ties = 0
    for user, a, b in zip(users, a_lists, b_lists, strict=True):
        shown = team_draft(a, b, random.Random(f"{seed}\x00{user}"), depth)
        clicked = set(shown.items) & future[user]
        credit_a, credit_b = len(clicked & shown.team_a), len(clicked & shown.team_b)
        wins += credit_a > credit_b
        losses += credit_a < credit_b
        ties += credit_a == credit_b
    return Preference(wins=wins, losses=losses, ties=ties)


def evaluate_interleave(
    dataset: Dataset,
    *,
    a: RankerName,
    b: RankerName,
    how: str = "user-last",
    min_value: float | None = None,
    seed: int = 0,
    progress: bool = True,
    embedder: Embedder | None = None,
) -> dict[str, Any]:
    """Both rankers' real lists for the split's held-out users, interleaved; the shape of
    report.json."""
    started = time.perf_counter()
    users, future, lists = ranker_lists(
        dataset, how, min_value, (a, b), seed=seed, progress=progress, embedder=embedder
    )
    listed = time.perf_counter()
    found = preference(users, lists[a], lists[b], future, seed=seed)
    return {
        "dataset": str(dataset.path),
        "settings": {"a": a, "b": b, "split": how, "min_value": min_value, "seed": seed},
        "users": len(users),
        "preference": found.to_json(),
        "timings_s": {
            "train_and_lists": round(listed - started, 2),
            "interleave": round(time.perf_counter() - listed, 2),
        },
    }


def write_interleave_report(report: dict[str, Any], out: Path) -> Path:
    return write_json_and_summary(report, interleave_markdown(report), out)


def interleave_markdown(report: dict[str, Any]) -> str:
    settings, found = report["settings"], report["preference"]
    a, b = settings["a"], settings["b"]
    if found["share_a"] is None:
        verdict = "no user clicked one team more than the other: no preference to report."
    else:
        low, high = found["ci95"]
        verdict = (
            f"{a} is preferred by {found['share_a']:.3f} of the users with a preference "
            f"(95% Wilson interval [{low:.3f}, {high:.3f}], binomial p = {found['p_value']:.3g})."
        )
    return "\n".join(
        [
            f"# Team-draft interleaving: {a} (A) against {b} (B)",
            "",
            f"{report['dataset']}, split `{settings['split']}`, seed {settings['seed']}: "
            f"{report['users']} held-out users; A wins {found['wins']}, B wins "
            f"{found['losses']}, ties {found['ties']}.",
            "",
            verdict,
            "",
        ]
    )

"""Experiment figures for `personify bench`: what assignment adds to a recommendation,
and how long the results of a large experiment take (targets: under 0.5 ms p95 and under
5 s for 100,000 users and 1,000,000 events; measured, never asserted)."""

from __future__ import annotations

import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from personify.bench import percentiles
from personify.domain import Event, utcnow
from personify.experiments.definitions import ExperimentSpec
from personify.experiments.service import Assignment
from personify.service import Personify
from personify.settings import Settings, load_settings
from personify.store.schema import exposures, served

BENCH_EXPERIMENT = {
    "key": "bench",
    "surface": "recommendations",
    "variants": [
        {"name": "control", "weight": 1},
        {"name": "treatment", "weight": 1, "config": {"ranker": "personalized"}},
    ],
    "metrics": {
        "primary": "card_click_rate",
        "secondary": ["conversion", "revenue_per_user"],
        "guardrails": ["fallback_rate", "latency_p95_ms"],
    },
}


def assignment_overhead(service: Personify, users: list[str]) -> dict[str, float]:
    """Recommendations without and with a running experiment, and the experiment's own
    step (assign + record) timed alone, in milliseconds."""

    def timed(call: object) -> list[float]:
        out = []
        for user in users:
            start = time.perf_counter()
            call(user)  # type: ignore[operator]
            out.append((time.perf_counter() - start) * 1000)
        return out

    without = timed(lambda u: service.recommend(u, 10))
    service.experiments.create(ExperimentSpec.model_validate(BENCH_EXPERIMENT))
    with_experiment = timed(lambda u: service.recommend(u, 10))

    def step(user: str) -> Assignment:
        assignment = service.experiments.assign(user, "recommendations")
        service.experiments.served(assignment)
        return assignment

    alone = timed(step)
    service.experiments.store.stop("bench")
    base, under, own = percentiles(without), percentiles(with_experiment), percentiles(alone)
    return {
        "without_p50": base[0],
        "without_p95": base[1],
        "with_p50": under[0],
        "with_p95": under[1],
        "step_p50": own[0],
        "step_p95": own[1],
    }


def results_bench(base: Settings, *, users: int, events: int, seed: int = 11) -> float:
    """Seconds for GET /v1/experiments/{key}/results on `users` exposed users and `events`
    outcome events, written straight to the tables (ingest is measured apart)."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="personify-bench-exp-") as tmp:
        settings = load_settings(data_dir=Path(tmp), llm_threads=base.llm_threads)
        service = Personify(settings)
        try:
            service.experiments.create(ExperimentSpec.model_validate(BENCH_EXPERIMENT))
            start_at = (utcnow() - timedelta(days=6)).timestamp()
            names = ["control", "treatment"]
            rows: list[dict[str, Any]] = [
                {
                    "experiment": "bench",
                    "user_id": f"u{n}",
                    "variant": names[rng.randrange(2)],
                    "first_at": start_at + rng.random() * 86_400,
                }
                for n in range(users)
            ]
            responses = [
                {
                    "experiment": "bench",
                    "variant": r["variant"],
                    "user_id": r["user_id"],
                    "at": r["first_at"],
                    "latency_ms": rng.uniform(5, 40),
                    "fallback": rng.random() < 0.02,
                }
                for r in rows
            ]
            with service.store.engine.begin() as conn:
                conn.execute(insert(exposures), rows)
                conn.execute(insert(served), responses)
            types = ["card_click"] * 6 + ["view"] * 3 + ["purchase"]
            log = []
            for n in range(events):
                row = rows[rng.randrange(users)]
                kind = types[rng.randrange(len(types))]
                log.append(
                    Event(
                        event_id=f"e{n}",
                        user_id=row["user_id"],
                        type=kind,
                        properties={"value": round(rng.uniform(5, 80), 2)}
                        if kind == "purchase"
                        else {},
                        timestamp=utcnow() - timedelta(days=rng.uniform(0, 5)),
                    )
                )
                if len(log) == 50_000:
                    service.store.events.append(log)
                    log = []
            if log:
                service.store.events.append(log)
            start = time.perf_counter()
            service.experiments.results("bench")
            return time.perf_counter() - start
        finally:
            service.close()

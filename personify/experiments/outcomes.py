"""Each exposed user's metrics, read from the event log and the served responses.

An outcome event counts for the variant the user was served when it happened at or after
their first exposure and within the metric's window (`window_days` from that exposure).
The sums are done in SQL, one grouped query per metric (a join of the events on the
user's exposure), so a million events never cross into Python one by one. CUPED's
covariate is the same metric over the 14 days before the first exposure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Column, Engine, and_, func, select, true
from sqlalchemy.sql.elements import ColumnElement

from personify.experiments.analysis import Outcomes, VariantData
from personify.experiments.definitions import (
    EXPOSURE,
    QUANTILES,
    SERVED_METRICS,
    Experiment,
    MetricSpec,
)
from personify.store.schema import events, exposures, served

DAY = 86_400.0
INF = float("inf")
CUPED_DAYS = 14
VALUE_KEYS = ("value", "revenue", "total", "price")  # a `sum` metric adds the first found


@dataclass(frozen=True, kw_only=True)
class Exposed:
    """The experiment's exposed users, in one order every array below follows."""

    users: list[str]
    variants: np.ndarray  # index into experiment.variants, per user
    first_at: np.ndarray  # epoch seconds, per user
    index: dict[str, int]


def exposed(engine: Engine, experiment: Experiment, until: float = INF) -> Exposed:
    names = {v.name: n for n, v in enumerate(experiment.variants)}
    query = select(exposures.c.user_id, exposures.c.variant, exposures.c.first_at).where(
        exposures.c.experiment == experiment.key, _before(exposures.c.first_at, until)
    )
    with engine.connect() as conn:
        rows = [r for r in conn.execute(query) if r.variant in names]
    users = [r.user_id for r in rows]
    return Exposed(
        users=users,
        variants=np.array([names[r.variant] for r in rows], dtype=np.int64),
        first_at=np.array([r.first_at for r in rows], dtype=np.float64),
        index={u: n for n, u in enumerate(users)},
    )


def gather(
    engine: Engine,
    experiment: Experiment,
    metrics: Mapping[str, MetricSpec],
    until: float = INF,
) -> tuple[dict[str, VariantData], Exposed]:
    """Per variant: users, responses served, and each metric's per-user values, as the
    log stood at `until` (epoch seconds; the report's day-by-day figures)."""
    key = experiment.key
    who = exposed(engine, experiment, until)
    count, fallbacks, latency, latency_variant = _served(engine, key, who, until)
    per_user: dict[str, Outcomes] = {}
    for name in experiment.metrics.all():
        metric = metrics[name]
        if name in QUANTILES:
            continue  # per response, split by variant below
        if name in SERVED_METRICS:
            per_user[name] = Outcomes(values=fallbacks, denominators=count)
            continue
        values = _per_user(engine, key, who, metric, metric.events, True, until)
        denominators = None
        if metric.kind == "ratio":
            wanted = metric.denominator_events or []
            denominators = count.copy() if EXPOSURE in wanted else np.zeros(len(who.users))
            others = [e for e in wanted if e != EXPOSURE]
            if others:
                denominators += _per_user(engine, key, who, metric, others, True, until)
        elif metric.kind == "conversion":
            values = (values > 0).astype(np.float64)
        before = None
        if experiment.cuped:
            before = _per_user(engine, key, who, metric, metric.events, False, until)
            if metric.kind == "conversion":
                before = (before > 0).astype(np.float64)
        per_user[name] = Outcomes(values=values, denominators=denominators, before=before)
    data = {}
    for n, variant in enumerate(experiment.variants):
        mine = who.variants == n
        outcomes = {
            name: Outcomes(
                values=o.values[mine],
                denominators=None if o.denominators is None else o.denominators[mine],
                before=None if o.before is None else o.before[mine],
            )
            for name, o in per_user.items()
        }
        for name in experiment.metrics.all():
            if name in QUANTILES:
                outcomes[name] = Outcomes(values=latency[latency_variant == n])
        data[variant.name] = VariantData(
            users=int(mine.sum()), exposures=int(count[mine].sum()), outcomes=outcomes
        )
    return data, who


def _served(
    engine: Engine, key: str, who: Exposed, until: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Responses and fallbacks per exposed user; every response's latency and variant."""
    count = np.zeros(len(who.users))
    fallbacks = np.zeros(len(who.users))
    query = select(served.c.user_id, served.c.latency_ms, served.c.fallback).where(
        served.c.experiment == key, _before(served.c.at, until)
    )
    latencies: list[float] = []
    variants: list[int] = []
    with engine.connect() as conn:
        for user_id, latency_ms, fallback in conn.execute(query):
            at = who.index.get(user_id)
            if at is None:
                continue
            count[at] += 1
            fallbacks[at] += bool(fallback)
            latencies.append(latency_ms)
            variants.append(int(who.variants[at]))
    return count, fallbacks, np.array(latencies), np.array(variants, dtype=np.int64)


def _value() -> ColumnElement[float]:
    keys = [events.c.properties[k].as_float() for k in VALUE_KEYS]
    return func.coalesce(*keys, 0.0)


def _per_user(
    engine: Engine,
    key: str,
    who: Exposed,
    metric: MetricSpec,
    types: list[str],
    after: bool,
    until: float,
) -> np.ndarray:
    """Per exposed user: how many of `types` (or the sum of their value, for a `sum`
    metric) in the window after the first exposure, or in the CUPED days before it."""
    if after:
        window = and_(
            events.c.ts >= exposures.c.first_at,
            events.c.ts < exposures.c.first_at + metric.window_days * DAY,
        )
    else:
        window = and_(
            events.c.ts >= exposures.c.first_at - CUPED_DAYS * DAY,
            events.c.ts < exposures.c.first_at,
        )
    measure = func.sum(_value()) if metric.kind == "sum" else func.count()
    query = (
        select(exposures.c.user_id, measure)
        .select_from(
            events.join(
                exposures,
                and_(exposures.c.user_id == events.c.user_id, exposures.c.experiment == key),
            )
        )
        .where(events.c.type.in_(types), window, _before(events.c.ts, until))
        .group_by(exposures.c.user_id)
    )
    out = np.zeros(len(who.users))
    with engine.connect() as conn:
        for user_id, value in conn.execute(query):
            at = who.index.get(user_id)
            if at is not None:
                out[at] = float(value or 0.0)
    return out


def _before(column: Column[float], until: float) -> ColumnElement[bool]:
    """`column < until`, or no condition for the log as it stands now."""
    return column < until if until < INF else true()

"""Each exposed user's metrics, read from the event log and the served responses.

An outcome event counts for the variant the user was served when it happened at or after
their first exposure and within the metric's window (`window_days` from that exposure).
The sums are done in SQL, one grouped query for every metric at once (a join of the events on the
user's exposure), so a million events never cross into Python one by one. CUPED's
covariate is the same metric over the 14 days before the first exposure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Column, Engine, and_, case, func, select, true
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
        rows = [r for r in conn.execute(query).all() if r[1] in names]
    users = [r[0] for r in rows]
    return Exposed(
        users=users,
        variants=np.fromiter((names[r[1]] for r in rows), dtype=np.int64, count=len(rows)),
        first_at=np.fromiter((r[2] for r in rows), dtype=np.float64, count=len(rows)),
        index={u: n for n, u in enumerate(users)},
    )


@dataclass(frozen=True, kw_only=True)
class Tally:
    """Per exposed user and event type, from one pass over the log: how many events, and
    the sum of their values, after the first exposure within each window (in days), and
    in the CUPED days before it."""

    after: dict[tuple[str, float], np.ndarray]
    after_value: dict[tuple[str, float], np.ndarray]
    before: dict[str, np.ndarray]
    before_value: dict[str, np.ndarray]

    def total(self, types: list[str], window: float, kind: str, *, after: bool) -> np.ndarray:
        """A metric's per-user figure: a count of `types`, or the sum of their values."""
        parts = [
            (self.after_value if kind == "sum" else self.after).get((t, window))
            if after
            else (self.before_value if kind == "sum" else self.before).get(t)
            for t in types
        ]
        found = [p for p in parts if p is not None]
        return np.sum(found, axis=0) if found else np.zeros(0)


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
    from_log = [
        metrics[n]
        for n in experiment.metrics.all()
        if n not in QUANTILES and n not in SERVED_METRICS
    ]
    tally = _tally(engine, key, who, from_log, experiment.cuped, until)
    zeros = np.zeros(len(who.users))
    per_user: dict[str, Outcomes] = {}
    for name in experiment.metrics.all():
        metric = metrics[name]
        if name in QUANTILES:
            continue  # per response, split by variant below
        if name in SERVED_METRICS:
            per_user[name] = Outcomes(values=fallbacks, denominators=count)
            continue
        window = metric.window_days
        values = _or(tally.total(metric.events, window, metric.kind, after=True), zeros)
        denominators = None
        if metric.kind == "ratio":
            wanted = metric.denominator_events or []
            denominators = count.copy() if EXPOSURE in wanted else zeros.copy()
            others = [e for e in wanted if e != EXPOSURE]
            denominators += _or(tally.total(others, window, "count", after=True), zeros)
        elif metric.kind == "conversion":
            values = (values > 0).astype(np.float64)
        before = None
        if experiment.cuped:
            before = _or(tally.total(metric.events, window, metric.kind, after=False), zeros)
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


def _or(found: np.ndarray, zeros: np.ndarray) -> np.ndarray:
    return found if len(found) else zeros.copy()


def _served(
    engine: Engine, key: str, who: Exposed, until: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Responses and fallbacks per exposed user; every response's latency and variant."""
    query = select(served.c.user_id, served.c.latency_ms, served.c.fallback).where(
        served.c.experiment == key, _before(served.c.at, until)
    )
    with engine.connect() as conn:
        rows = [r for r in conn.execute(query).all() if r[0] in who.index]
    at = np.fromiter((who.index[r[0]] for r in rows), dtype=np.int64, count=len(rows))
    latency = np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))
    fallback = np.fromiter((bool(r[2]) for r in rows), dtype=np.float64, count=len(rows))
    size = len(who.users)
    count = np.bincount(at, minlength=size).astype(np.float64)
    fallbacks = np.bincount(at, weights=fallback, minlength=size)
    return count, fallbacks, latency, who.variants[at]


def _value() -> ColumnElement[float]:
    keys = [events.c.properties[k].as_float() for k in VALUE_KEYS]
    return func.coalesce(*keys, 0.0)


def _tally(
    engine: Engine,
    key: str,
    who: Exposed,
    metrics: list[MetricSpec],
    cuped: bool,
    until: float,
) -> Tally:
    """One grouped query over the events of the exposed users, whatever the number of
    metrics: a row per user, with a count and a value sum per event type and window.
    (Grouped by user alone, rows arrive in the exposures' key order: no sort.)"""
    empty = Tally(after={}, after_value={}, before={}, before_value={})
    types = sorted(
        {t for m in metrics for t in [*m.events, *(m.denominator_events or [])]} - {EXPOSURE}
    )
    if not types or not who.users:
        return empty
    valued = {t for m in metrics if m.kind == "sum" for t in m.events}
    windows = sorted({m.window_days for m in metrics})
    first, ts, kind = exposures.c.first_at, events.c.ts, events.c.type
    spans = [and_(ts >= first, ts < first + w * DAY) for w in windows]
    if cuped:
        spans.append(ts < first)
    columns: list[ColumnElement[Any]] = []
    for t in types:
        for span in spans:
            columns.append(func.sum(case((and_(kind == t, span), 1), else_=0)))
            if t in valued:
                columns.append(func.sum(case((and_(kind == t, span), _value()), else_=0.0)))
    earliest = first - CUPED_DAYS * DAY if cuped else first
    query = (
        select(exposures.c.user_id, *columns)
        .select_from(
            events.join(
                exposures,
                and_(exposures.c.user_id == events.c.user_id, exposures.c.experiment == key),
            )
        )
        .where(
            kind.in_(types),
            ts >= earliest,
            ts < first + windows[-1] * DAY,
            _before(ts, until),
        )
        .group_by(exposures.c.user_id)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    rows = [r for r in rows if r[0] in who.index]
    at = np.fromiter((who.index[r[0]] for r in rows), dtype=np.int64, count=len(rows))
    table = np.zeros((len(who.users), len(columns)))
    if rows:
        table[at] = np.array([r[1:] for r in rows], dtype=np.float64)
    tally = Tally(after={}, after_value={}, before={}, before_value={})
    column = 0
    for t in types:
        for n, _ in enumerate(spans):
            counts = table[:, column]
            values = table[:, column + 1] if t in valued else np.zeros(len(who.users))
            column += 2 if t in valued else 1
            if n < len(windows):
                tally.after[(t, windows[n])] = counts
                tally.after_value[(t, windows[n])] = values
            else:
                tally.before[t] = counts
                tally.before_value[t] = values
    return tally


def _before(column: Column[float], until: float) -> ColumnElement[bool]:
    """`column < until`, or no condition for the log as it stands now."""
    return column < until if until < INF else true()

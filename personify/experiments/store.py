"""Experiments and metrics as stored, and the log of who was served which variant.

Definitions are written at once. What each served response adds (the first exposure of a
user, and a row in `served` for the guardrails and denominators) is buffered and written
in one transaction at most FLUSH_S later by a background thread, or before anything reads
it (results, erasure, close): a commit per response, fsynced, would cost more than the
whole assignment budget (0.5 ms). A crash loses at most that last second of records; the
user's next response records the exposure again."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, delete, insert, select, update

from personify.errors import Conflict, NotFound
from personify.experiments.definitions import (
    BUILT_IN_METRICS,
    Experiment,
    ExperimentSpec,
    MetricSpec,
)
from personify.store.schema import experiments, exposures, metric_definitions, served
from personify.store.sql import insert_ignoring_duplicates

FLUSH_S = 1.0
KNOWN_LIMIT = 1_000_000  # first exposures this process remembers having written


@dataclass(frozen=True, kw_only=True)
class Served:
    experiment: str
    variant: str
    user_id: str
    at: float
    latency_ms: float
    fallback: bool


class ExperimentStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()  # the buffer
        self._writing = threading.Lock()  # one flush or erasure at a time
        self._pending: list[Served] = []
        self._known: set[tuple[str, str]] = set()  # (experiment, user) exposures written
        self._running: list[Experiment] | None = None  # cached; reset on every change
        self._running_at = 0.0
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None

    # definitions --------------------------------------------------------------------------
    def create(self, spec: ExperimentSpec) -> tuple[Experiment, bool]:
        """The stored experiment, and whether it is new. Posting the same definition again
        is a no-op; a different one under a running key is a 409."""
        existing = self.find(spec.key)
        if existing is not None:
            same = ExperimentSpec.model_validate(existing.model_dump(include=_SPEC_FIELDS))
            if existing.status == "running" and same == spec:
                return existing, False
            if existing.status == "running":
                raise Conflict(
                    f"Experiment {spec.key!r} is running: its variants, weights and metrics "
                    "cannot change. Stop it (POST /v1/experiments/{key}/stop) and start a "
                    "new one under a new key.",
                    field="key",
                )
            raise Conflict(
                f"Experiment {spec.key!r} was stopped; keys are not reused, so its results "
                "stay readable. Start the new phase under a new key (e.g. "
                f"{spec.key}-2).",
                field="key",
            )
        experiment = Experiment(**spec.model_dump(), created_at=time.time())
        with self.engine.begin() as conn:
            conn.execute(
                insert(experiments).values(
                    key=spec.key,
                    spec=spec.model_dump(mode="json"),
                    status="running",
                    created_at=experiment.created_at,
                )
            )
        self._running = None
        return experiment, True

    def find(self, key: str) -> Experiment | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(experiments).where(experiments.c.key == key)).first()
        return _experiment(row) if row is not None else None

    def get(self, key: str) -> Experiment:
        found = self.find(key)
        if found is None:
            raise NotFound(
                f"Unknown experiment {key!r}: create it with POST /v1/experiments.", field="key"
            )
        return found

    def all(self) -> list[Experiment]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(experiments).order_by(experiments.c.created_at)).all()
        return [_experiment(r) for r in rows]

    def running(self) -> list[Experiment]:
        """The running experiments, read at most once a second (each request asks)."""
        now = time.monotonic()
        cached = self._running
        if cached is None or now - self._running_at > FLUSH_S:
            with self.engine.connect() as conn:
                query = select(experiments).where(experiments.c.status == "running")
                cached = [_experiment(r) for r in conn.execute(query.order_by(experiments.c.key))]
            self._running, self._running_at = cached, now
        return cached

    def stop(self, key: str) -> Experiment:
        experiment = self.get(key)
        if experiment.status == "stopped":
            return experiment
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(
                update(experiments)
                .where(experiments.c.key == key)
                .values(status="stopped", stopped_at=now)
            )
        self._running = None
        return experiment.model_copy(update={"status": "stopped", "stopped_at": now})

    def add_metric(self, spec: MetricSpec) -> tuple[MetricSpec, bool]:
        if spec.name in BUILT_IN_METRICS:
            raise Conflict(
                f"{spec.name!r} is a built-in metric; declare yours under another name.",
                field="name",
            )
        known = self.metrics()
        if spec.name in known:
            if known[spec.name] == spec:
                return spec, False
            raise Conflict(
                f"Metric {spec.name!r} is already declared differently; metrics do not change "
                "under running experiments. Declare it under a new name.",
                field="name",
            )
        with self.engine.begin() as conn:
            conn.execute(
                insert(metric_definitions).values(
                    name=spec.name, spec=spec.model_dump(mode="json"), created_at=time.time()
                )
            )
        return spec, True

    def metrics(self) -> dict[str, MetricSpec]:
        """Every metric an experiment can name: the built-in ones and the declared ones."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(metric_definitions.c.spec)).all()
        declared = {s.name: s for s in (MetricSpec.model_validate(r.spec) for r in rows)}
        return {**BUILT_IN_METRICS, **declared}

    # what was served ----------------------------------------------------------------------
    def record(self, entries: Iterable[Served]) -> None:
        """Remember responses served; they reach the database within FLUSH_S."""
        with self._lock:
            self._pending.extend(entries)
            if self._flusher is None:
                self._flusher = threading.Thread(
                    target=self._flush_every, name="experiment-log", daemon=True
                )
                self._flusher.start()

    def flush(self) -> None:
        with self._writing:
            self._write()

    def _write(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        if not pending:
            return
        first: dict[tuple[str, str], Served] = {}
        for entry in pending:
            first.setdefault((entry.experiment, entry.user_id), entry)
        new = [e for k, e in first.items() if k not in self._known]
        with self.engine.begin() as conn:
            if new:
                conn.execute(
                    insert_ignoring_duplicates(self.engine, exposures),
                    [
                        {
                            "experiment": e.experiment,
                            "user_id": e.user_id,
                            "variant": e.variant,
                            "first_at": e.at,
                        }
                        for e in new
                    ],
                )
            conn.execute(
                insert(served),
                [
                    {
                        "experiment": e.experiment,
                        "variant": e.variant,
                        "user_id": e.user_id,
                        "at": e.at,
                        "latency_ms": e.latency_ms,
                        "fallback": e.fallback,
                    }
                    for e in pending
                ],
            )
        with self._lock:
            if len(self._known) > KNOWN_LIMIT:
                self._known.clear()
            self._known.update(first)

    def _flush_every(self) -> None:
        while not self._stop.wait(FLUSH_S):
            try:
                self.flush()
            except Exception:  # noqa: BLE001 - kept for the next try, never lost silently
                time.sleep(FLUSH_S)

    def of_user(self, user_id: str) -> dict[str, str]:
        """The experiments the user was exposed to, and the variant: the access export."""
        self.flush()
        with self.engine.connect() as conn:
            query = select(exposures.c.experiment, exposures.c.variant).where(
                exposures.c.user_id == user_id
            )
            return {r.experiment: r.variant for r in conn.execute(query)}

    def erase(self, user_id: str) -> int:
        """The user's exposures and served responses (the assignment itself is a hash of
        their id: nothing stored)."""
        with self._writing:
            self._write()
            with self.engine.begin() as conn:
                removed = conn.execute(delete(served).where(served.c.user_id == user_id)).rowcount
                removed += conn.execute(
                    delete(exposures).where(exposures.c.user_id == user_id)
                ).rowcount
            with self._lock:
                self._known = {k for k in self._known if k[1] != user_id}
        return int(removed)

    def close(self) -> None:
        self._stop.set()
        self.flush()


_SPEC_FIELDS = set(ExperimentSpec.model_fields)


def _experiment(row: object) -> Experiment:
    return Experiment(
        **dict(row.spec),  # type: ignore[attr-defined]
        status=row.status,  # type: ignore[attr-defined]
        created_at=row.created_at,  # type: ignore[attr-defined]
        stopped_at=row.stopped_at,  # type: ignore[attr-defined]
    )

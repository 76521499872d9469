"""One tenant's experiments, as the API, the CLI and the served paths use them.

A served path asks `assign(user_id, surface)` before it answers: the variants of every
running experiment on that surface (a hash, no I/O but a cached list of experiments) and
the configuration they set. After answering it calls `served(...)`, which records the
exposure (buffered, see store.py). Where two running experiments on one surface set the
same field, the one created first wins; the response still names both."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from personify.domain import Treatment
from personify.errors import InputError
from personify.experiments.analysis import analyze
from personify.experiments.assignment import assign
from personify.experiments.definitions import (
    Experiment,
    ExperimentSpec,
    MetricSpec,
)
from personify.experiments.outcomes import gather
from personify.experiments.store import ExperimentStore, Served
from personify.prompts.templates import available_templates

PROMPTS = {"onboarding", "chat"}  # the templates a variant may swap


@dataclass(frozen=True, kw_only=True)
class Assignment:
    """Which variants a response is served under, and what they change."""

    user_id: str
    surface: str
    experiments: dict[str, str] = field(default_factory=dict)  # key -> variant
    treatment: Treatment = Treatment()
    model: str | None = None  # the model a variant names (one is configured today: checked)
    started: float = field(default_factory=time.perf_counter)


class Experiments:
    def __init__(self, store: ExperimentStore, model_names: Callable[[], list[str]]) -> None:
        self.store = store
        self._model_names = model_names

    # definitions --------------------------------------------------------------------------
    def create(self, spec: ExperimentSpec) -> tuple[Experiment, bool]:
        known = self.store.metrics()
        for role, names in (
            ("primary", [spec.metrics.primary]),
            ("secondary", spec.metrics.secondary),
            ("guardrails", spec.metrics.guardrails),
        ):
            for index, name in enumerate(names):
                if name not in known:
                    where = "metrics.primary" if role == "primary" else f"metrics.{role}[{index}]"
                    raise InputError(
                        f"{where}: unknown metric {name!r}; declare it with POST /v1/metrics "
                        f"or use one of {sorted(known)}.",
                        field=where,
                    )
        for index, variant in enumerate(spec.variants):
            self._check_config(spec, index, variant.config.prompt, variant.config.model)
        return self.store.create(spec)

    def _check_config(
        self, spec: ExperimentSpec, index: int, prompt: str | None, model: str | None
    ) -> None:
        where = f"variants[{index}].config"
        if prompt is not None:
            templates = [t for t in available_templates() if t.split(".", 1)[0] in PROMPTS]
            wanted = {spec.surface} & PROMPTS or PROMPTS
            if prompt not in templates or prompt.split(".", 1)[0] not in wanted:
                choices = [t for t in templates if t.split(".", 1)[0] in wanted]
                raise InputError(
                    f"{where}.prompt: {prompt!r} is not a template for the {spec.surface} "
                    f"surface; use one of {choices}.",
                    field=f"{where}.prompt",
                )
        if model is not None and model not in self._model_names():
            raise InputError(
                f"{where}.model: {model!r} is not a configured model; this server has "
                f"{self._model_names()}.",
                field=f"{where}.model",
            )

    def add_metric(self, spec: MetricSpec) -> tuple[MetricSpec, bool]:
        return self.store.add_metric(spec)

    # serving ------------------------------------------------------------------------------
    def assign(self, user_id: str, surface: str) -> Assignment:
        """The user's variants on this surface and what they change; records nothing."""
        chosen: dict[str, str] = {}
        config: dict[str, Any] = {}
        for experiment in sorted(self.store.running(), key=lambda e: e.created_at):
            if not experiment.serves(surface):
                continue
            name = assign(experiment.key, user_id, experiment.variants)
            chosen[experiment.key] = name
            for key, value in experiment.variant(name).config.model_dump().items():
                if value is not None:
                    config.setdefault(key, value)
        model = config.pop("model", None)
        return Assignment(
            user_id=user_id,
            surface=surface,
            experiments=chosen,
            treatment=Treatment(**config),
            model=model,
        )

    def served(self, assignment: Assignment, fallback: bool = False) -> None:
        """Record that the response was served: the exposure the first time, and its
        latency (since `assign`) and fallback for the guardrails."""
        if not assignment.experiments:
            return
        now = time.time()
        latency_ms = (time.perf_counter() - assignment.started) * 1000
        self.store.record(
            Served(
                experiment=key,
                variant=variant,
                user_id=assignment.user_id,
                at=now,
                latency_ms=latency_ms,
                fallback=fallback,
            )
            for key, variant in assignment.experiments.items()
        )

    def of_user(self, user_id: str) -> dict[str, str]:
        """Every running experiment's variant for the user (a lookup: no exposure)."""
        return {
            e.key: assign(e.key, user_id, e.variants)
            for e in sorted(self.store.running(), key=lambda e: e.created_at)
        }

    # analysis -----------------------------------------------------------------------------
    def results(self, key: str) -> dict[str, Any]:
        experiment = self.store.get(key)
        self.store.flush()
        metrics = self.store.metrics()
        data, _ = gather(self.store.engine, experiment, metrics)
        return analyze(experiment, metrics, data)

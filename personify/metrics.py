"""Prometheus metrics (`GET /metrics`) and the wrappers that feed them.

Each Personify instance has its own registry, so tests and several apps in one process
never share counters. Labels never carry user ids, paths or text: routes are templates."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from langchain_core.messages import BaseMessage
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily

from personify.agent.models import ChatModel, ModelReply, Usage
from personify.privacy.redactor import PiiSpan, Redactor, replace_spans
from personify.privacy.vault import Vault

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Histogram(
            "personify_http_request_seconds",
            "HTTP request latency by route template, method and status.",
            ["route", "method", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.model_calls = Counter(
            "personify_model_calls_total",
            "Chat-model calls by model and outcome (ok or error).",
            ["model", "outcome"],
            registry=self.registry,
        )
        self.model_seconds = Histogram(
            "personify_model_call_seconds",
            "Chat-model call latency (a stream: until its last token).",
            ["model"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.fallbacks = Counter(
            "personify_fallbacks_total",
            "Answers rendered by the deterministic fallback, by reason.",
            ["reason"],
            registry=self.registry,
        )
        self.cut_sentences = Counter(
            "personify_cut_sentences_total",
            "Sentences of shown model answers cut as unsupported by what the model was given, "
            "by kind (number, name, denial, claim).",
            ["kind"],
            registry=self.registry,
        )
        self.redactions = Counter(
            "personify_redactions_total",
            "PII spans replaced before text reached a model, by entity type.",
            ["entity"],
            registry=self.registry,
        )
        self.events = Counter(
            "personify_events_ingested_total",
            "Events stored in the log (duplicates and dropped events excluded).",
            registry=self.registry,
        )

        self._caches = _CacheCollector()
        self.registry.register(self._caches)

    def count_cut(self, kind: str) -> None:
        """A sentence cut from an answer (the agent's `on_cut`)."""
        self.cut_sentences.labels(kind).inc()

    def watch_cache(self, name: str, read: Callable[[], tuple[int, int]]) -> None:
        """Export a cache's (hits, misses), read at scrape time; caches of the same name
        (one per tenant) are summed."""
        self._caches.readers.append((name, read))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _CacheCollector:
    def __init__(self) -> None:
        self.readers: list[tuple[str, Callable[[], tuple[int, int]]]] = []

    def collect(self) -> Iterator[CounterMetricFamily]:
        totals: dict[str, list[int]] = {}
        for name, read in list(self.readers):
            hits, misses = read()
            total = totals.setdefault(name, [0, 0])
            total[0] += hits
            total[1] += misses
        family = CounterMetricFamily(
            "personify_cache_lookups",
            "Cache lookups by cache and result.",
            labels=["cache", "result"],
        )
        for name, (hits, misses) in totals.items():
            family.add_metric([name, "hit"], hits)
            family.add_metric([name, "miss"], misses)
        yield family


class MeteredChatModel:
    """Counts and times every call of the model it wraps."""

    def __init__(self, inner: ChatModel, metrics: Metrics) -> None:
        self.inner = inner
        self.name = inner.name
        self._metrics = metrics

    def complete(
        self, messages: list[BaseMessage], *, json_schema: dict[str, Any] | None = None
    ) -> ModelReply:
        started = time.perf_counter()
        try:
            reply = self.inner.complete(messages, json_schema=json_schema)
        except Exception:
            self._record("error", started)
            raise
        self._record("ok", started)
        return reply

    def stream(
        self,
        messages: list[BaseMessage],
        *,
        json_schema: dict[str, Any] | None = None,
        usage: Usage | None = None,
    ) -> Iterator[str]:
        started = time.perf_counter()
        outcome = "error"
        try:
            yield from self.inner.stream(messages, json_schema=json_schema, usage=usage)
            outcome = "ok"
        finally:
            self._record(outcome, started)

    def _record(self, outcome: str, started: float) -> None:
        self._metrics.model_calls.labels(self.name, outcome).inc()
        self._metrics.model_seconds.labels(self.name).observe(time.perf_counter() - started)


class MeteredRedactor:
    """Counts what the wrapped redactor finds, by entity type (never the text)."""

    def __init__(self, inner: Redactor, metrics: Metrics) -> None:
        self.inner = inner
        self._metrics = metrics

    def find(self, text: str) -> list[PiiSpan]:
        spans = self.inner.find(text)
        for span in spans:
            self._metrics.redactions.labels(span.entity).inc()
        return spans

    def redact(self, text: str, vault: Vault) -> str:
        return replace_spans(text, self.find(text), vault)

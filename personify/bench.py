"""`personify bench`: throughput and latency on a generated catalog, printed as figures.

Targets (two cores): recommendations p95 < 30 ms in process and < 60 ms over HTTP;
ingest >= 2,000 events/s. They are measured here, never asserted in tests."""

from __future__ import annotations

import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from personify.domain import Done, Event, Replace, TokenDelta, utcnow
from personify.service import Personify
from personify.settings import Settings, load_settings

CATEGORIES = [
    "analytics", "automation", "billing", "collaboration", "compliance", "crm", "data",
    "devops", "design", "finance", "hr", "integrations", "marketing", "mobile", "monitoring",
    "onboarding", "security", "sales", "support", "training",
]  # fmt: skip
ADJECTIVES = [
    "Smart",
    "Rapid",
    "Unified",
    "Secure",
    "Live",
    "Guided",
    "Bulk",
    "Custom",
    "Shared",
    "Auto",
]
NOUNS = [
    "Dashboard",
    "Report",
    "Workflow",
    "Connector",
    "Template",
    "Checklist",
    "Alert",
    "Playbook",
    "Audit",
    "Forecast",
]
VERBS = [
    "tracks",
    "automates",
    "summarises",
    "syncs",
    "flags",
    "visualises",
    "schedules",
    "exports",
]
OBJECTS = [
    "invoices",
    "tickets",
    "leads",
    "deployments",
    "campaigns",
    "contracts",
    "signups",
    "incidents",
    "budgets",
    "tasks",
]
EVENT_TYPES = ["view"] * 5 + ["click"] * 3 + ["use", "like"]


def generate_items(count: int, rng: random.Random) -> list[dict[str, Any]]:
    items = []
    for n in range(count):
        category = CATEGORIES[n % len(CATEGORIES)]
        title = f"{rng.choice(ADJECTIVES)} {category.title()} {rng.choice(NOUNS)} {n}"
        description = (
            f"{title} {rng.choice(VERBS)} {rng.choice(OBJECTS)} for {category} teams and "
            f"{rng.choice(VERBS)} {rng.choice(OBJECTS)} across workspaces."
        )
        tags = [category, rng.choice(OBJECTS)]
        items.append(
            {
                "id": f"item-{n}",
                "title": title,
                "description": description,
                "category": category,
                "tags": tags,
            }
        )
    return items


def generate_events(users: int, items: int, count: int, rng: random.Random) -> list[dict[str, Any]]:
    """Users prefer two categories; item popularity is skewed (Zipf-like)."""
    now = utcnow()
    per_category = max(items // len(CATEGORIES), 1)
    tastes = {u: rng.sample(range(len(CATEGORIES)), 2) for u in range(users)}
    events = []
    for n in range(count):
        user = rng.randrange(users)
        category = (
            rng.choice(tastes[user]) if rng.random() < 0.8 else rng.randrange(len(CATEGORIES))
        )
        rank = min(int(rng.paretovariate(1.2)) - 1, per_category - 1)
        item = rank * len(CATEGORIES) + category
        events.append(
            {
                "event_id": f"ev-{n}",
                "user_id": f"user-{user}",
                "type": rng.choice(EVENT_TYPES),
                "item_id": f"item-{min(item, items - 1)}",
                "timestamp": (now - timedelta(minutes=(count - n) * 0.4)).isoformat(),
            }
        )
    return events


def recommendation_latency(service: Personify, sample: list[str]) -> tuple[float, float]:
    timings = []
    for user in sample:
        start = time.perf_counter()
        service.recommend(user, 10)
        timings.append((time.perf_counter() - start) * 1000)
    return percentiles(timings)


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94]


def line(name: str, value: str) -> None:
    print(f"{name:<42} {value}", flush=True)


def train_bench(base: Settings, *, items: int, users: int, events: int, seed: int = 7) -> None:
    """`personify train` on a large log: the events are written straight to the event log
    (the ingest path, with its profile updates, is measured on its own above)."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="personify-bench-train-") as tmp:
        settings = load_settings(data_dir=Path(tmp), llm_threads=base.llm_threads)
        service = Personify(settings)
        catalog = generate_items(items, rng)
        for chunk in range(0, items, 1000):
            service.add_items(catalog[chunk : chunk + 1000])
        log = generate_events(users, items, events, rng)
        for chunk in range(0, events, 20_000):
            service.store.events.append([Event(**e) for e in log[chunk : chunk + 20_000]])
        start = time.perf_counter()
        trained = service.train()
        line(
            f"personify train on {events:,} events ({users:,} users)",
            f"{time.perf_counter() - start:.1f} s (models: {trained.get('seconds')} s)",
        )
        sample = [f"user-{rng.randrange(users)}" for _ in range(300)]
        service.recommend(sample[0])
        p50, p95 = recommendation_latency(service, sample)
        line("  then recommendations in process (n=10)", f"p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        service.close()


def run_bench(base: Settings, *, items: int, users: int, events: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="personify-bench-") as tmp:
        settings = load_settings(data_dir=Path(tmp), llm_threads=base.llm_threads)
        print(
            f"Personify benchmark: {items:,} items, {users:,} users, {events:,} events, {os.cpu_count()} CPUs"
        )
        service = Personify(settings)
        catalog = generate_items(items, rng)
        start = time.perf_counter()
        service.parts.embedder.embed([f"{i['title']}. {i['description']}" for i in catalog[:1000]])
        line("embedding only (1,000 items)", f"{1000 / (time.perf_counter() - start):,.0f} items/s")
        start = time.perf_counter()
        for chunk in range(0, items, 1000):
            service.add_items(catalog[chunk : chunk + 1000])
        line(
            "catalog indexing (embed + SQL + Chroma)",
            f"{items / (time.perf_counter() - start):,.0f} items/s",
        )

        log = generate_events(users, items, events, rng)
        start = time.perf_counter()
        for chunk in range(0, events, 1000):
            service.add_events(log[chunk : chunk + 1000])
        line(
            "event ingest (batches of 1,000, profiles updated)",
            f"{events / (time.perf_counter() - start):,.0f} events/s",
        )

        sample = [f"user-{rng.randrange(users)}" for _ in range(300)]
        service.recommend(sample[0])  # builds the co-visitation index once
        p50, p95 = recommendation_latency(service, sample)
        line("recommendations, fixed blend (n=10)", f"p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        start = time.perf_counter()
        service.train()
        line("personify train (ALS + rankers)", f"{time.perf_counter() - start:.1f} s")
        service.recommend(sample[0])  # loads the trained models once
        p50, p95 = recommendation_latency(service, sample)
        line("recommendations in process (n=10)", f"p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        from personify.experiments.bench import assignment_overhead  # it reads percentiles

        found = assignment_overhead(service, sample)
        line(
            "  again, under a running experiment",
            f"p50 {found['with_p50']:.1f} ms, p95 {found['with_p95']:.1f} ms "
            f"(without: p95 {found['without_p95']:.1f} ms)",
        )
        line(
            "  the experiment step alone (assign + record)",
            f"p50 {found['step_p50']:.3f} ms, p95 {found['step_p95']:.3f} ms",
        )

        message = (
            "Hi, I'm Dana Whitfield from the logistics team. Please send the weekly report to "
            "dana.whitfield@example.com or call +1 415 555 0134; our office is at 42 Maple Grove "
            "Avenue. I'd like alerts when the Snowflake loads run late, and a dashboard for SLAs "
            "that my manager Tom Baker can read on his phone before Monday's review."
        )[:300]  # 300 characters: the size the redaction speed target is set for
        redaction = []
        service.redactor.find(message)
        for _ in range(100):
            start = time.perf_counter()
            service.redactor.find(message)
            redaction.append((time.perf_counter() - start) * 1000)
        p50, p95 = percentiles(redaction)
        line(
            f"redaction of a {len(message)}-character message",
            f"p50 {p50:.1f} ms, p95 {p95:.1f} ms",
        )

        onboarding = []
        for user in sample[:12]:
            start = time.perf_counter()
            service.onboard(user)
            onboarding.append((time.perf_counter() - start) * 1000)
        p50, p95 = percentiles(onboarding[2:])  # the first calls load Presidio and the model
        line("onboarding with the local model", f"p50 {p50:.0f} ms, p95 {p95:.0f} ms")
        first_text, whole = chat_latency(service, sample[:12])
        line(
            "chat with the local model: first text",
            f"p50 {first_text[0]:.0f} ms, p95 {first_text[1]:.0f} ms",
        )
        line(
            "chat with the local model: whole answer",
            f"p50 {whole[0]:.0f} ms, p95 {whole[1]:.0f} ms",
        )
        line(
            "peak memory (this process)",
            f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB",
        )
        service.close()
        http_latency(settings, sample)


CHAT_QUESTIONS = ("What should I try next?", "Anything like what I read last?", "And after that?")


def chat_latency(
    service: Personify, users: list[str]
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Streamed chat: time to the first text a user sees (a guarded sentence), and to the
    end of the answer, p50 and p95 in ms (the first two users warm up)."""
    first, whole = [], []
    for n, user in enumerate(users):
        start = time.perf_counter()
        seen = None
        for event in service.chat_events(user, f"bench-{n}", CHAT_QUESTIONS[n % 3]):
            if seen is None and isinstance(event, TokenDelta | Replace | Done):
                seen = (time.perf_counter() - start) * 1000
        first.append(seen or 0.0)
        whole.append((time.perf_counter() - start) * 1000)
    return percentiles(first[2:]), percentiles(whole[2:])


def http_latency(settings: Settings, sample: list[str]) -> None:
    """Serve the same data dir from a separate `personify serve` process and time GETs."""
    port = 8000 + os.getpid() % 1000
    env = {**os.environ, "PERSONIFY_DATA_DIR": str(settings.data_dir)}
    server = subprocess.Popen(
        [sys.executable, "-m", "personify.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=url, timeout=30) as http:
            deadline = time.monotonic() + 180
            while True:
                try:
                    http.get("/healthz")
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("the benchmark server did not start") from None
                    time.sleep(0.5)
            http.get(f"/v1/users/{sample[0]}/recommendations")
            timings = []
            for user in sample:
                start = time.perf_counter()
                http.get(f"/v1/users/{user}/recommendations", params={"n": 10}).raise_for_status()
                timings.append((time.perf_counter() - start) * 1000)
        p50, p95 = percentiles(timings)
        line("recommendations over HTTP (n=10)", f"p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    finally:
        server.terminate()
        server.wait(timeout=30)

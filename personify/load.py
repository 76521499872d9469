"""`personify load` (`make load`): a bounded load run against `personify serve` on
loopback with the embedded defaults, tenants on, and one tenant holding the demo catalog
(its secret key for the normal clients). A mix of event batches (45%),
recommendations (50%) and onboarding with the local model (5%) at rising concurrency;
it stops when recommendations' p95 passes 100 ms, when any request fails, or after the
last step, and prints requests per second and p50/p95/p99 per endpoint for each step.

Then a soak: SOAK_CLIENTS clients of the same mix, first alone, then beside a hostile
client (hostile.py: huge traits, deep JSON, chunked bodies, widget tokens guessed from an
address of its own); it prints each endpoint's p95 both ways and the ratio (the target:
within 2x)."""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

from personify.demo import catalog
from personify.hostile import Hostile

STEPS = (1, 2, 4, 8, 16, 32)  # concurrent clients
STEP_SECONDS = 10.0
P95_LIMIT_MS = 100.0
USERS = 200
SOAK_CLIENTS = 4
SOAK_SECONDS = 20.0
SOAK_TARGET = 2.0  # normal clients' p95 beside the hostile client / their p95 alone
ORIGIN = "http://shop.example"  # the tenant's widget origin, for the token guesser


@dataclass(frozen=True, kw_only=True)
class LoadTenant:
    secret_key: str
    publishable_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret_key}"}


def main(seconds: float = STEP_SECONDS) -> int:
    with tempfile.TemporaryDirectory() as folder:
        port = _free_port()
        admin_key = secrets.token_hex(24)
        env = {
            **os.environ,
            "PERSONIFY_DATA_DIR": str(Path(folder) / "data"),
            "PERSONIFY_ADMIN_KEY": admin_key,
        }
        command = [sys.executable, "-m", "personify.cli", "serve", "--port", str(port)]
        log = (Path(folder) / "serve.log").open("wb")
        server = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(base, server)
            tenant = _tenant_with_catalog(base, admin_key, "Load", rate_limit=1_000_000)
            print(f"personify serve on {base} (embedded defaults, tenants on, demo catalog)")
            ramped = asyncio.run(_ramp(base, tenant, seconds))
            if ramped:
                return ramped
            # The attacker is another customer, held to the default limits as one would be.
            hostile = _tenant_with_catalog(base, admin_key, "Hostile", rate_limit=None)
            return asyncio.run(_soak(base, tenant, hostile, max(seconds, SOAK_SECONDS)))
        finally:
            server.terminate()
            server.wait(timeout=30)


def _tenant_with_catalog(
    base: str, admin_key: str, name: str, rate_limit: int | None
) -> LoadTenant:
    """A tenant with the demo catalog. The normal clients' has no practical rate limit (the
    run measures the server, not the limiter); the attacker's has the server's default."""
    body = {"name": name, "origins": [ORIGIN], "rate_limit_per_minute": rate_limit}
    admin = {"Authorization": f"Bearer {admin_key}"}
    made = httpx.post(f"{base}/v1/tenants", json=body, headers=admin, timeout=60)
    made.raise_for_status()
    tenant = LoadTenant(
        secret_key=made.json()["secret_key"], publishable_key=made.json()["publishable_key"]
    )
    items = {"items": catalog()}
    httpx.post(
        f"{base}/v1/items", json=items, headers=tenant.headers, timeout=300
    ).raise_for_status()
    return tenant


async def _ramp(base: str, tenant: LoadTenant, seconds: float) -> int:
    rng = random.Random(11)
    items = [item["id"] for item in catalog() if item.get("available", True)]
    ids = iter(range(10**9))
    sustained = 0.0
    async with httpx.AsyncClient(base_url=base, timeout=60, headers=tenant.headers) as http:
        for start in range(0, USERS, 20):  # every load user has history before timing starts
            batch = [
                {
                    "event_id": f"seed-{u}",
                    "user_id": f"load-{u}",
                    "type": "use",
                    "item_id": items[u % len(items)],
                }
                for u in range(start, start + 20)
            ]
            (await http.post("/v1/events", json={"events": batch})).raise_for_status()
        for clients in STEPS:
            times, errors, elapsed = await _step(http, clients, seconds, rng, items, ids)
            total = sum(len(v) for v in times.values())
            print(f"\n{clients} concurrent clients: {total / elapsed:,.1f} requests/s, "
                  f"{len(errors)} errors")  # fmt: skip
            for name, values in sorted(times.items()):
                p50, p95, p99 = np.percentile(values, [50, 95, 99])
                print(f"  {name:<32} n={len(values):<5} p50 {p50:7.1f}  p95 {p95:7.1f}  "
                      f"p99 {p99:7.1f} ms")  # fmt: skip
            recs = times.get(RECS, [])
            p95_recs = float(np.percentile(recs, 95)) if recs else 0.0
            if errors or p95_recs > P95_LIMIT_MS:
                why = (
                    f"errors: {errors[:3]}" if errors else f"recommendations p95 {p95_recs:.0f} ms"
                )
                print(f"\nStopped at {clients} clients ({why}).")
                break
            sustained = total / elapsed
    print(f"Sustained within limits: {sustained:,.1f} requests/s.")
    return 0


RECS = "GET recommendations"


async def _soak(base: str, tenant: LoadTenant, attacker: LoadTenant, seconds: float) -> int:
    """The same mix for `seconds`, alone and then beside the hostile client (another
    tenant's keys, its own address)."""
    rng = random.Random(13)
    items = [item["id"] for item in catalog() if item.get("available", True)]
    ids = iter(range(10**9, 2 * 10**9))
    hostile = Hostile(base, attacker.secret_key, attacker.publishable_key, ORIGIN)
    async with httpx.AsyncClient(base_url=base, timeout=60, headers=tenant.headers) as http:
        quiet, errors, _ = await _step(http, SOAK_CLIENTS, seconds, rng, items, ids)
        loud, more, _ = await _step(
            http, SOAK_CLIENTS, seconds, rng, items, ids, beside=hostile.run
        )
    print(f"\nSoak: {SOAK_CLIENTS} clients for {seconds:.0f} s, alone, then beside a hostile "
          "client of another tenant, at its default limits (huge traits, deep JSON, chunked "
          "bodies, guessed widget tokens)")  # fmt: skip
    worst = 0.0
    for name in sorted(quiet.keys() & loud.keys()):
        alone, beside = (float(np.percentile(t[name], 95)) for t in (quiet, loud))
        ratio = beside / alone if alone else float("inf")
        worst = max(worst, ratio)
        print(f"  {name:<32} p95 alone {alone:7.1f} ms  beside {beside:7.1f} ms  "
              f"ratio {ratio:4.2f}x")  # fmt: skip
    print(
        "  hostile answers: " + ", ".join(f"{k} x{v}" for k, v in sorted(hostile.answers.items()))
    )
    verdict = "within" if worst <= SOAK_TARGET else "OVER"
    print(f"Worst p95 ratio {worst:.2f}x: {verdict} the {SOAK_TARGET:.0f}x target; "
          f"normal clients' errors: {(errors + more)[:3] or 'none'}.")  # fmt: skip
    return 0


async def _step(
    http: httpx.AsyncClient,
    clients: int,
    seconds: float,
    rng: random.Random,
    items: list[str],
    ids: Iterator[int],
    beside: Callable[[float], Awaitable[None]] | None = None,
) -> tuple[dict[str, list[float]], list[str], float]:
    """`clients` loops sending the mix for `seconds` (`beside` them, another client given
    the same deadline): latencies per endpoint, errors."""
    times: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        while time.perf_counter() < deadline:
            user = f"load-{rng.randrange(USERS)}"
            roll = rng.random()
            started = time.perf_counter()
            if roll < 0.45:
                name = "POST /v1/events (batch of 20)"
                batch = [
                    {
                        "event_id": f"load-{next(ids)}",
                        "user_id": user,
                        "type": rng.choice(["view", "click", "use"]),
                        "item_id": rng.choice(items),
                    }
                    for _ in range(20)
                ]
                response = await http.post("/v1/events", json={"events": batch})
            elif roll < 0.95:
                name = RECS
                response = await http.get(f"/v1/users/{user}/recommendations")
            else:
                name = "POST onboarding (local model)"
                response = await http.post(f"/v1/users/{user}/onboarding", json={})
            if response.status_code >= 400:
                errors.append(f"{name}: {response.status_code}")
            times[name].append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    others = [beside(deadline)] if beside is not None else []
    await asyncio.gather(*(client() for _ in range(clients)), *others)
    return times, errors, time.perf_counter() - started


def _wait(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"personify serve exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError("personify serve did not start in 180 s")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

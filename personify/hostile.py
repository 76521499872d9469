"""The hostile client of `personify load`'s soak: what an attacker can send the server
that `load` starts (one tenant, no keys, so there is no token to guess). Each attack is
answered, refused or cut off; what counts is how little it slows everyone else."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx

TRAITS = 30  # the most a user may have
VALUES = 26  # values per trait, each just under the 5,000-character limit
DEPTH = 100_000  # nesting of the deep JSON body
CHUNKED_BYTES = 8 * 1024 * 1024  # twice the body limit, with no Content-Length to refuse
Attack = Callable[[httpx.AsyncClient, int], Awaitable[str]]
TIMEOUT_S = 30.0  # the soak ends at most this long after its deadline


class Hostile:
    """Each attack in a loop of its own until the deadline (one held up by the model does
    not hold up the others); counts the answers they got."""

    def __init__(self, base: str) -> None:
        self._base = base
        self.answers: Counter[str] = Counter()

    async def run(self, deadline: float) -> None:
        attacks = (self._huge_traits, self._deep_json, self._chunked)
        async with httpx.AsyncClient(base_url=self._base, timeout=TIMEOUT_S) as http:
            await asyncio.gather(*(self._repeat(a, http, deadline) for a in attacks))

    async def _repeat(self, attack: Attack, http: httpx.AsyncClient, deadline: float) -> None:
        n = 0
        while time.perf_counter() < deadline:
            try:
                status = await attack(http, n)
            except httpx.HTTPError as exc:
                status = exc.__class__.__name__
            self.answers[f"{attack.__name__.strip('_')}: {status}"] += 1
            n += 1

    async def _huge_traits(self, http: httpx.AsyncClient, n: int) -> str:
        """3.9 MB of traits (every limit met), then onboarding, which reads them."""
        value = ("Reach Dana Whitfield at dana@example.com or 415-555-0132 " * 90)[:4990]
        traits = {f"note_{t}": [value] * VALUES for t in range(TRAITS)}
        user = f"hostile-{n}"
        put = await http.put(f"/v1/users/{user}", json={"traits": traits})
        if put.status_code >= 400:
            return str(put.status_code)
        return str((await http.post(f"/v1/users/{user}/onboarding", json={})).status_code)

    async def _deep_json(self, http: httpx.AsyncClient, n: int) -> str:
        body = "[" * DEPTH + "]" * DEPTH
        headers = {"Content-Type": "application/json"}
        return str((await http.post("/v1/events", content=body, headers=headers)).status_code)

    async def _chunked(self, http: httpx.AsyncClient, n: int) -> str:
        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"events": "'
            piece = b"a" * 65_536
            for _ in range(CHUNKED_BYTES // len(piece)):
                yield piece
                await asyncio.sleep(0)
            yield b'"}'

        headers = {"Content-Type": "application/json"}
        response = await http.post("/v1/events", content=chunks(), headers=headers)
        return str(response.status_code)

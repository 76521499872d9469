"""The hostile client of `personify load`'s soak: what an attacker holding a tenant's keys
can send, from an address of its own. Each attack is answered, refused or cut off; what
counts is how little it slows everyone else."""

from __future__ import annotations

import asyncio
import secrets
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
ADDRESS = "127.0.0.2"  # loopback too, but not the normal clients' address: the failed-auth
# limit is per client address, and the guesser should meet it alone


class Hostile:
    """Each attack in a loop of its own until the deadline (one held up by the model does
    not hold up the others); counts the answers they got."""

    def __init__(self, base: str, secret_key: str, publishable_key: str, origin: str) -> None:
        self._base = base
        self._secret = {"Authorization": f"Bearer {secret_key}"}
        self._widget = {"Authorization": f"Bearer {publishable_key}", "Origin": origin}
        self.answers: Counter[str] = Counter()

    async def run(self, deadline: float) -> None:
        attacks = (self._huge_traits, self._deep_json, self._chunked, self._guess_tokens)
        transport = httpx.AsyncHTTPTransport(local_address=ADDRESS)
        async with httpx.AsyncClient(
            base_url=self._base, timeout=TIMEOUT_S, transport=transport
        ) as http:
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
        put = await http.put(f"/v1/users/{user}", json={"traits": traits}, headers=self._secret)
        if put.status_code >= 400:
            return str(put.status_code)
        answer = await http.post(f"/v1/users/{user}/onboarding", json={}, headers=self._secret)
        return str(answer.status_code)

    async def _deep_json(self, http: httpx.AsyncClient, n: int) -> str:
        body = "[" * DEPTH + "]" * DEPTH
        headers = {"Content-Type": "application/json", **self._secret}
        return str((await http.post("/v1/events", content=body, headers=headers)).status_code)

    async def _chunked(self, http: httpx.AsyncClient, n: int) -> str:
        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"events": "'
            piece = b"a" * 65_536
            for _ in range(CHUNKED_BYTES // len(piece)):
                yield piece
                await asyncio.sleep(0)
            yield b'"}'

        headers = {"Content-Type": "application/json", **self._secret}
        response = await http.post("/v1/events", content=chunks(), headers=headers)
        return str(response.status_code)

    async def _guess_tokens(self, http: httpx.AsyncClient, n: int) -> str:
        """A widget user token guessed at full speed: refused (401), then the address is
        refused outright (429) before any signature is compared."""
        expiry = int(time.time()) + 3600
        headers = {
            **self._widget,
            "X-Personify-User": "load-1",
            "X-Personify-User-Token": f"load-1.{expiry}.{secrets.token_hex(32)}",
        }
        return str(
            (await http.get("/v1/users/load-1/recommendations", headers=headers)).status_code
        )

"""Sticky assignment: a hash of (experiment key, user id) picks the variant.

The same user gets the same variant on every worker and after restarts, with nothing
stored and no per-request randomness; different experiment keys hash independently, so
being in one experiment's treatment says nothing about another's. BLAKE2b is in the
standard library, fast (about a microsecond for short ids) and uniform enough that 64 of
its bits make a point in [0, 1)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from personify.experiments.definitions import Variant

SCALE = float(1 << 64)


def bucket(key: str, user_id: str) -> float:
    """Where the user falls in [0, 1) for this experiment."""
    digest = hashlib.blake2b(f"{key}\x00{user_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / SCALE


def assign(key: str, user_id: str, variants: Sequence[Variant]) -> str:
    """The variant whose share of [0, 1), in the order given, holds the user's point."""
    point = bucket(key, user_id) * sum(v.weight for v in variants)
    edge = 0.0
    for variant in variants:
        edge += variant.weight
        if point < edge:
            return variant.name
    return variants[-1].name  # rounding at the very top

"""The analyzer pool: a second caller never waits while there is room to build another."""

from __future__ import annotations

import threading
from contextlib import ExitStack

import pytest

from personify.privacy.pool import Pool


def built_objects() -> tuple[Pool[object], list[object]]:
    made: list[object] = []

    def build() -> object:
        made.append(object())
        return made[-1]

    return Pool(build, size=2), made


def test_one_is_built_at_start_and_reused_when_idle() -> None:
    pool, made = built_objects()
    for _ in range(3):
        with pool.lend() as item:
            assert item is made[0]
    assert pool.built == 1


def test_a_second_caller_gets_its_own_while_the_first_is_busy() -> None:
    pool, made = built_objects()
    with pool.lend() as first, ExitStack() as held:
        got: list[object] = []
        other = threading.Thread(target=lambda: got.append(held.enter_context(pool.lend())))
        other.start()
        other.join(timeout=10)
        assert not other.is_alive(), "the second caller waited for the first"
        assert got[0] is not first and pool.built == 2


def test_over_the_size_a_caller_waits_for_one_to_come_back() -> None:
    pool, _ = built_objects()
    done = threading.Event()

    def third() -> None:
        with pool.lend():
            done.set()

    with pool.lend(), pool.lend():
        waiting = threading.Thread(target=third)
        waiting.start()
        assert not done.wait(timeout=0.3)  # both lent: it waits
    assert done.wait(timeout=10)  # one came back: it ran
    waiting.join()
    assert pool.built == 2


def test_a_failed_build_leaves_room_to_try_again() -> None:
    calls = iter([object(), RuntimeError("model missing"), object()])

    def build() -> object:
        made = next(calls)
        if isinstance(made, Exception):
            raise made
        return made

    pool: Pool[object] = Pool(build, size=2)
    with pool.lend(), ExitStack() as held:
        with pytest.raises(RuntimeError):
            held.enter_context(pool.lend())
        assert pool.built == 1
        held.enter_context(pool.lend())
        assert pool.built == 2

"""Analyzers lent out one call at a time, so redaction never waits on one process-wide lock.

A spaCy pipeline is not documented as safe to call from two threads at once, so each
analyzer serves one call at a time. One is built at start; when every built analyzer is
busy, another is built (up to `size`), so two users, or two tenants, redact side by side
while a laptop serving one user keeps a single copy of the model."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")


class Pool(Generic[T]):
    def __init__(self, build: Callable[[], T], size: int) -> None:
        if size < 1:
            raise ValueError(f"a pool needs room for at least one analyzer, not {size}")
        self._build = build
        self._size = size
        self._idle: queue.LifoQueue[T] = queue.LifoQueue()
        self._idle.put(build())
        self._built = 1
        self._lock = threading.Lock()

    @property
    def built(self) -> int:
        return self._built

    @contextmanager
    def lend(self) -> Iterator[T]:
        item = self._take()
        try:
            yield item
        finally:
            self._idle.put(item)

    def _take(self) -> T:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            grow = self._built < self._size
            if grow:
                self._built += 1
        if not grow:
            return self._idle.get()  # all built and busy: wait for the first one back
        try:
            return self._build()
        except BaseException:
            with self._lock:
                self._built -= 1
            raise

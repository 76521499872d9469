"""PII the generation eval plants in users' traits and messages, and the log capture in
which it looks for them afterwards."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

FIRST = [
    "Amara",
    "Bjorn",
    "Chiara",
    "Dmitri",
    "Elena",
    "Farid",
    "Greta",
    "Hiroshi",
    "Ines",
    "Jonas",
]
LAST = [
    "Okafor",
    "Lindqvist",
    "Moretti",
    "Volkov",
    "Santos",
    "Haddad",
    "Keller",
    "Tanaka",
    "Ruiz",
    "Brandt",
]


@dataclass(frozen=True, kw_only=True)
class Planted:
    name: str
    email: str
    phone: str

    def values(self) -> list[str]:
        return [self.name, self.email, self.phone, self.phone.replace(" ", "")]


def plant(n: int) -> Planted:
    first, last = FIRST[n % len(FIRST)], LAST[(n // len(FIRST) + n) % len(LAST)]
    return Planted(
        name=f"{first} {last}",
        email=f"{first.lower()}.{last.lower()}{n}@example.org",
        phone=f"+1 415 555 {1000 + n:04d}",
    )


class LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def captured_logs() -> Iterator[LogCapture]:
    handler = LogCapture()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)

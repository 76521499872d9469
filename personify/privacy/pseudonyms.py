"""Pseudonyms: stable stand-ins for ids that must not be readable where they are kept.

A keyed hash (HMAC-SHA256) with the installation's secret salt, made once and kept in the
database for every worker: the same id always gets the same pseudonym, which can be
proved with the salt and not reversed without it. Used for the audit log's subject, the
profile ids in the vector store and the ids of anonymous events."""

from __future__ import annotations

import hashlib
import hmac


class Pseudonymiser:
    def __init__(self, salt: bytes) -> None:
        self._salt = salt

    def pseudonym(self, value: str) -> str:
        return hmac.new(self._salt, value.encode(), hashlib.sha256).hexdigest()

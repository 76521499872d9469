"""The redactor's engine: spaCy's en_core_web_md from its package, loaded once per process,
started quietly, failing closed."""

from __future__ import annotations

import logging
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest

from personify.errors import PrivacyError
from personify.privacy.engine import load_pipeline
from personify.privacy.redactor import PresidioRedactor


def test_a_clean_start_says_nothing(caplog: pytest.LogCaptureFixture) -> None:
    """No W095 ("built for spaCy 3.7"), no "Recognizer not added to registry" for the
    Spanish, Italian and Polish recognizers, no INFO chatter from Presidio."""
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        redactor = PresidioRedactor()
        redactor.find("Dear Ifeoma Okafor, call +44 7700 900461.")
    assert [str(w.message) for w in caught] == []
    assert [r.getMessage() for r in caplog.records if r.name.startswith("presidio")] == []


def test_only_the_w095_warning_of_the_load_is_silenced(redactor: PresidioRedactor) -> None:
    """The filter is scoped to loading the model: no filter is left installed."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn(
            "[W095] Model 'en_core_web_sm' (3.7.1) was trained with spaCy v3.7.2", stacklevel=1
        )
    assert len(caught) == 1  # another model's W095, outside the load, still shows


def test_the_ner_model_is_en_core_web_md_from_its_package() -> None:
    nlp = load_pipeline()
    assert (nlp.meta["name"], nlp.meta["version"]) == ("core_web_md", "3.7.1")
    assert nlp.pipe_names[0] == "ner"  # the tagger, parser and lemmatizer are not loaded


def test_tenants_share_the_loaded_analyzers() -> None:
    redactor = PresidioRedactor(analyzers=2)
    acme, globex = redactor.scoped({"Jordan"}), redactor.scoped({"Zendesk"})
    for view in (acme, globex, acme):
        view.find("Call Jordan Reyes at +44 7700 900461.")
    assert redactor.analyzers_loaded == 1  # one at a time: one copy of the model


def test_concurrent_redactions_find_what_one_at_a_time_finds() -> None:
    """Two threads redact side by side, each on its own analyzer, with the same results."""
    redactor = PresidioRedactor(analyzers=2)
    texts = [
        f"Hi, I'm {name}; write to {name.split()[0].lower()}@example.org or call +1 415 555 01{n:02}."
        for n, name in enumerate(["Dana Whitfield", "Ifeoma Okafor", "Tom Baker", "Lena Park"] * 6)
    ]
    alone = [redactor.find(t) for t in texts]
    with ThreadPoolExecutor(max_workers=2) as pool:
        together = list(pool.map(redactor.find, texts))
    assert together == alone
    assert 1 <= redactor.analyzers_loaded <= 2


def test_redaction_fails_closed(redactor: PresidioRedactor) -> None:
    with pytest.raises(PrivacyError, match="nothing was sent"):
        redactor.find(None)  # type: ignore[arg-type]

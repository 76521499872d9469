"""The redactor's engine: spaCy's en_core_web_md from its package, loaded once per process,
started quietly, failing closed."""

from __future__ import annotations

import logging
import warnings

import pytest

from personify.errors import PrivacyError
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


def test_the_ner_model_is_en_core_web_md_from_its_package(redactor: PresidioRedactor) -> None:
    nlp = redactor._engine.nlp_engine.nlp["en"]
    assert (nlp.meta["name"], nlp.meta["version"]) == ("core_web_md", "3.7.1")
    assert nlp.pipe_names[0] == "ner"  # the tagger, parser and lemmatizer are not loaded


def test_tenants_share_one_loaded_engine(redactor: PresidioRedactor) -> None:
    acme, globex = redactor.scoped({"Jordan"}), redactor.scoped({"Zendesk"})
    assert acme._engine is redactor._engine and globex._engine is redactor._engine


def test_redaction_fails_closed(redactor: PresidioRedactor) -> None:
    with pytest.raises(PrivacyError, match="nothing was sent"):
        redactor.find(None)  # type: ignore[arg-type]

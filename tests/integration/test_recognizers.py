"""The recognizers added where `personify eval pii` pointed, on the real Presidio engine:
each catches what spaCy's small model missed, and ordinary product talk stays unmasked."""

import pytest

from personify.privacy.redactor import PresidioRedactor


def found(redactor: PresidioRedactor, text: str) -> set[tuple[str, str]]:
    return {(s.entity, text[s.start : s.end]) for s in redactor.find(text)}


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        ("Scott is a very sympathetic person.", "PERSON", "Scott"),  # census first name
        ("Follow up with Sigrid Nyström in a couple of months.", "PERSON", "Sigrid Nyström"),
        ("Tube Snake Boogie by Szabina J Gelencsér, go figure", "PERSON", "Szabina J Gelencsér"),
        ("Ubul: What a wife.\nNicole: Remember that.", "PERSON", "Ubul"),
        ("What's your last name? Boyle", "PERSON", "Boyle"),
        ("Can someone call me on 9472 7916? I have questions", "PHONE_NUMBER", "9472 7916"),
        ("781 1704 office", "PHONE_NUMBER", "781 1704"),
        ("Apt. 902\nQaqortoq\nNorway 64389", "LOCATION", "Norway"),
        ("Coden is a design agency based in NAANTALI.", "LOCATION", "NAANTALI"),
    ],
)
def test_added_recognizers_find_what_the_small_model_missed(
    redactor: PresidioRedactor, text: str, entity: str, value: str
) -> None:
    spans = found(redactor, text)
    assert any(e == entity and value in v for e, v in spans), spans


@pytest.mark.parametrize(
    "text",
    [
        "Will the funnel report show mobile users?",
        "Note: the dashboard updates every hour.",
        "May I export the weekly summary as a PDF?",
        "My team wants alerts when a data load runs late.",
        "I'm looking for something like the retention template.",
    ],
)
def test_product_talk_is_left_alone(redactor: PresidioRedactor, text: str) -> None:
    assert found(redactor, text) == set()

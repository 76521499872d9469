"""The recognizers added where `personify eval pii` pointed, on the real Presidio engine:
each catches what the NER model misses, and ordinary product talk stays unmasked."""

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
        ("mail ifeoma.okafor@example.internal", "EMAIL_ADDRESS", "ifeoma.okafor@example.internal"),
        ("contact: +44 7700 900461", "PHONE_NUMBER", "+44 7700 900461"),
        ("call +447700900461 today", "PHONE_NUMBER", "+447700900461"),
        ("IBAN gb82 west 1234 5698 7654 32", "IBAN_CODE", "gb82 west 1234 5698 7654 32"),
        ("I live at 17 Larchmere Close, Dunmow", "STREET_ADDRESS", "17 Larchmere Close, Dunmow"),
        ("Hauptstraße 5, Berlin", "STREET_ADDRESS", "Hauptstraße 5"),
        ("12 rue de la Paix", "STREET_ADDRESS", "12 rue de la Paix"),
        ("We moved here from Quarrington last year", "LOCATION", "Quarrington"),
        (
            "John Smith\n3378 Lovers Lane\nSuite 680\nPort Whitney, NV 12345",
            "LOCATION",
            "Port Whitney",
        ),
        ("I work with ifeoma okafor on revenue", "PERSON", "ifeoma okafor"),
        ("Dear Ifeoma Okafor,\nthanks", "PERSON", "Ifeoma Okafor"),
        ("Please ask Dr. Okonkwo", "PERSON", "Okonkwo"),
        ("Germano, Albin, Haines and Burrow had damage", "PERSON", "Albin"),
        ("LMAO EVERYONE THOUGHT KAYLA WAS COMING", "PERSON", "KAYLA"),
    ],
)
def test_added_recognizers_find_what_the_small_model_missed(
    redactor: PresidioRedactor, text: str, entity: str, value: str
) -> None:
    spans = found(redactor, text)
    places = {"LOCATION", "STREET_ADDRESS"}  # a place masked as an address counts, as in the eval
    assert any((e == entity or {e, entity} <= places) and value in v for e, v in spans), spans


@pytest.mark.parametrize(
    "text",
    [
        "Will the funnel report show mobile users?",
        "Note: the dashboard updates every hour.",
        "May I export the weekly summary as a PDF?",
        "My team wants alerts when a data load runs late.",
        "I'm looking for something like the retention template.",
        "I track 5 key metrics in 3 data lake views.",
        "The nightly load on 2021-05-12 at 10:30 failed twice.",
        "Send it via Email Reports every Monday.",
        "Thanks to the team for the 3 new dashboards.",
        "Dzhambek's tickets go to Civic Impulse LLC.",
    ],
)
def test_product_talk_is_left_alone(redactor: PresidioRedactor, text: str) -> None:
    assert found(redactor, text) == set()

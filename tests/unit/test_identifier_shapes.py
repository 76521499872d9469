"""E-mail addresses, phone numbers and IBANs are recognised by their shape, whatever a
library thinks of the value: a reserved domain ending, a drama phone range, a lower-case
IBAN with dots are still someone's details."""

import pytest

from personify.privacy.identifiers import EMAIL, PHONE_RUN, iban_end, phone_score


@pytest.mark.parametrize(
    "address",
    [
        "ifeoma.okafor@example.com",
        "ifeoma.okafor@example.internal",
        "a@b.example",
        "first+tag@sub.domain.zz",
        "o'neil@corp.intranet",
        "ifeoma [at] example [dot] org",
        "ifeoma@müller.technology",
    ],
)
def test_email_syntax_whatever_the_domain_ending(address: str) -> None:
    text = f"write to {address}, thanks"
    match = EMAIL.search(text)
    assert match is not None and match.group() == address


@pytest.mark.parametrize("text", ["user@localhost", "@ifeoma on twitter", "a@b", "5 @ 3pm"])
def test_things_that_are_not_email_addresses(text: str) -> None:
    assert EMAIL.search(text) is None


def _score(text: str) -> float:
    match = PHONE_RUN.search(text)
    assert match is not None, text
    return phone_score(match.group().rstrip(".-( "), international=bool(match.group("intl")))


@pytest.mark.parametrize(
    "phone",
    [
        "+44 7700 900461",  # Ofcom's drama range: invalid to libphonenumber
        "+447700900461",
        "+1 (415) 555-0134",
        "+33 1.23.45.67.89",
        "0044 20 7946 0958",
        "(415) 555-0134",
        "020 7946 0958",
        "415.555.0134",
    ],
)
def test_phone_shaped_runs_are_phones(phone: str) -> None:
    assert _score(f"contact: {phone}") >= 0.5


@pytest.mark.parametrize(
    "text",
    [
        "+999 1234 5678",  # no such country code
        "+44 12",  # too short for any country
        "2021-05-12",  # a date
        "12/05/2021",
        "123-45-6789",  # shaped like a US social security number
        "4111 1111 1111 1111",  # a card number, not a phone
    ],
)
def test_runs_that_are_not_phones(text: str) -> None:
    assert _score(text) == 0.0


@pytest.mark.parametrize(
    "iban",
    [
        "GB82WEST12345698765432",
        "GB82 WEST 1234 5698 7654 32",
        "gb82 west 1234 5698 7654 32",
        "GB82-WEST-1234-5698-7654-32",
        "DE89.3704.0044.0532.0130.00",
    ],
)
def test_ibans_in_any_case_with_any_separator(iban: str) -> None:
    text = f"IBAN {iban} please"
    start = text.index(iban)
    assert iban_end(text, start, len(text)) == start + len(iban)


@pytest.mark.parametrize(
    "text", ["GB82WEST12345698765433", "GB82WEST1234", "XX82WEST12345698765432"]
)
def test_ibans_with_a_bad_checksum_length_or_country_are_not(text: str) -> None:
    assert iban_end(text, 0, len(text)) is None

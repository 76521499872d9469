"""Recognizers for identifiers that have a shape: e-mail addresses, phone numbers, IBANs.

They are checked by their shape, not by whether a library knows the value: an e-mail on
`.example` or `.internal`, a phone number in a range reserved for drama (`+44 7700 900461`)
or an IBAN written in lower case with dots are all someone's contact or account details
as far as a model is concerned."""

from __future__ import annotations

import re
from typing import Any

# An e-mail address by its syntax alone, whatever the domain ends with (.example,
# .internal, a new or made-up TLD): a local part, "@" (or "[at]"), two or more labels.
LOCAL = r"[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*"
LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
EMAIL = re.compile(
    rf"(?<![\w.%+-]){LOCAL}(?:@|\s?[\[(]at[\])]\s?)(?:{LABEL}(?:\.|\s?[\[(]dot[\])]\s?))+"
    rf"[^\W\d_](?:[\w-]{{0,61}}[^\W_])?(?![\w@])",
    re.IGNORECASE,
)

# Digits with one separator between groups: a space, a dot, a dash, or parentheses around
# an area code. Every group starts with what ends the last, so matching stays linear.
PHONE_RUN = re.compile(
    r"(?<![\w+@/.-])(?P<intl>\+\s?|00)?\(?\d++(?:(?:[ .-]|\)[ .-]?|[ .-]?\()\d++)*+\)?(?![\w@]|:\d)"
)
PHONE_CONTEXT = [
    "phone", "call", "tel", "mobile", "cell", "number", "reach", "contact", "text",
    "fax", "sms", "whatsapp", "office", "desk", "ring",
]  # fmt: skip
PHONE_SHAPE = "personify phone shape"
DATE_LIKE = re.compile(r"^(?:\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})\b")

IBAN_RUN = re.compile(r"(?<![\w])[A-Za-z]{2}\d{2}(?:[ .-]?[A-Za-z0-9]){10,32}")
# ISO 13616 lengths of the countries that issue IBANs
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
    "BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24,
    "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
    "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
    "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20,
    "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20,
    "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
    "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
    "YE": 30,
}  # fmt: skip


def phone_score(run: str, international: bool) -> float:
    """How phone-like a run of digit groups is: 0.0 when it is not, 0.7 for a plausible
    international number (a country code that exists and a possible length for it, valid
    or not), 0.5 for a national number in groups of 9 to 12 digits, 0.2 (context words
    lift it over the threshold) for a shorter local number or a run with no separators."""
    digits = re.sub(r"\D", "", run)
    if international:
        import phonenumbers

        try:
            number = phonenumbers.parse("+" + digits.removeprefix("00"), None)
        except phonenumbers.NumberParseException:
            return 0.0
        return 0.7 if phonenumbers.is_possible_number(number) else 0.0
    groups = re.findall(r"\d+", run)
    if DATE_LIKE.search(run) or [len(g) for g in groups] == [3, 2, 4]:
        return 0.0  # a date, or shaped like a US social security number
    if len(groups) == 1:
        return 0.2 if 9 <= len(digits) <= 12 and digits.startswith("0") else 0.0
    if max(len(g) for g in groups) > 8 or len(digits) > 13 or len(digits) < 7:
        return 0.0
    return 0.5 if len(digits) >= 9 else 0.2


def iban_end(text: str, start: int, end: int) -> int | None:
    """Where a valid IBAN starting at `start` ends within text[start:end] (its country's
    length of letters and digits, separators skipped, mod-97 check), or None."""
    country = text[start : start + 2].upper()
    length = IBAN_LENGTHS.get(country)
    if length is None:
        return None
    chars: list[str] = []
    position = start
    while position < end and len(chars) < length:
        if text[position].isalnum():
            chars.append(text[position].upper())
        position += 1
    if len(chars) < length or (position < len(text) and text[position].isalnum()):
        return None
    value = "".join(chars)
    rearranged = value[4:] + value[:4]
    number = "".join(str(int(c, 36)) for c in rearranged)
    return position if int(number) % 97 == 1 else None


def identifier_recognizers() -> list[Any]:
    from presidio_analyzer import (
        AnalysisExplanation,
        EntityRecognizer,
        Pattern,
        PatternRecognizer,
        RecognizerResult,
    )

    class PhoneShapeRecognizer(EntityRecognizer):
        def load(self) -> None:
            return None

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            found = []
            for match in PHONE_RUN.finditer(text):
                run = match.group().rstrip(".-( ")
                score = phone_score(run, international=bool(match.group("intl")))
                if score:
                    start = match.start()
                    # context enhancement writes into the explanation: it must be there
                    why = AnalysisExplanation(PHONE_SHAPE, score, pattern_name=PHONE_SHAPE)
                    found.append(
                        RecognizerResult("PHONE_NUMBER", start, start + len(run), score, why)
                    )
            return found

    class IbanRecognizer(EntityRecognizer):
        def load(self) -> None:
            return None

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            found = []
            for match in IBAN_RUN.finditer(text):
                end = iban_end(text, match.start(), match.end())
                if end is not None:
                    found.append(RecognizerResult("IBAN_CODE", match.start(), end, 1.0))
            return found

    return [
        PatternRecognizer(
            supported_entity="EMAIL_ADDRESS",
            name="personify e-mail syntax",
            patterns=[Pattern("e-mail syntax", EMAIL.pattern, 1.0)],
            global_regex_flags=re.IGNORECASE,
        ),
        PhoneShapeRecognizer(
            supported_entities=["PHONE_NUMBER"],
            name=PHONE_SHAPE,
            context=PHONE_CONTEXT,
        ),
        IbanRecognizer(supported_entities=["IBAN_CODE"], name="personify IBAN"),
    ]

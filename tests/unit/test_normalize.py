"""Text is normalised before detection, and every span maps back to what the user wrote."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from personify.privacy.normalize import normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ife\u200boma Okafor", "Ifeoma Okafor"),  # zero-width space
        ("ifeoma\u00ad.okafor@example.com", "ifeoma.okafor@example.com"),  # soft hyphen
        ("GB82\u2060WEST", "GB82WEST"),  # word joiner
        ("\u202eIfeoma\u202c", "Ifeoma"),  # bidi override
        ("\ufeffhello\x00", "hello"),  # BOM, NUL
        ("Ifeoma\x0bOkafor", "Ifeoma Okafor"),  # vertical tab separates words
        ("ｉｆｅｏｍａ＠ｅｘａｍｐｌｅ．ｃｏｍ", "ifeoma@example.com"),  # full width
        ("Cafe\u0301", "Café"),  # combining accent composed
        ("\ufb01le", "file"),  # ligature
        ("line one\nline\ttwo\r\n", "line one\nline\ttwo\r\n"),  # kept as they are
    ],
)
def test_invisible_and_compatibility_characters_are_normalised(text: str, expected: str) -> None:
    assert normalize(text).text == expected


def test_spans_map_back_to_the_original_characters() -> None:
    text = "Mail ifeo\u200bma@exa\u200bmple.com now"
    normal = normalize(text)
    start = normal.text.index("ifeoma@")
    end = start + len("ifeoma@example.com")
    original_start, original_end = normal.original(start, end)
    assert text[original_start:original_end] == "ifeo\u200bma@exa\u200bmple.com"


def test_an_expanded_character_maps_back_whole() -> None:
    normal = normalize("a \ufb01le")
    assert normal.text == "a file"
    assert normal.original(2, 3) == (2, 3)  # "f" of "fi" is the ligature
    assert normal.original(3, 6) == (2, 5)  # "ile" starts inside it: the ligature again


@given(st.text(max_size=60))
def test_every_character_maps_inside_the_original(text: str) -> None:
    normal = normalize(text)
    assert len(normal.starts) == len(normal.ends) == len(normal.text)
    for n in range(len(normal.text)):
        start, end = normal.original(n, n + 1)
        assert 0 <= start < end <= len(text)
    assert list(normal.starts) == sorted(normal.starts)

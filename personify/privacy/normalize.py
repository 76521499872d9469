"""Text as the recognizers should read it, with a way back to the characters it came from.

A zero-width space inside a name, an e-mail or an IBAN, a soft hyphen, a bidi control or a
full-width letter changes nothing a reader sees but defeats every pattern and the NER model.
Detection runs on the normalised text; every span found is mapped back to the original
characters, so what is replaced is what the user wrote (invisible characters included)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Control characters that separate words (vertical tab, form feed, the information
# separators, next line): read as a space, so "Ifeoma\x0bOkafor" stays two words.
SEPARATING_CONTROLS = frozenset("\x0b\x0c\x1c\x1d\x1e\x1f\x85")
KEPT_CONTROLS = frozenset("\t\n\r")
PLAIN = re.compile(r"[\x20-\x7e\t\n\r]*")


def _dropped(char: str) -> bool:
    """Invisible characters: other controls (Cc) and format characters (Cf: zero-width
    space and joiners, word joiner, soft hyphen, bidi marks and overrides, BOM, tags)."""
    return unicodedata.category(char) in {"Cc", "Cf"} and char not in KEPT_CONTROLS


@dataclass(frozen=True, kw_only=True)
class Normalized:
    """`text` (NFKC, invisible characters removed) and, for each of its characters, where
    the original characters it came from start and end."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def original(self, start: int, end: int) -> tuple[int, int]:
        """The original span behind text[start:end] (end exclusive, start < end)."""
        return self.starts[start], self.ends[end - 1]


def normalize(text: str) -> Normalized:
    """NFKC per base character with its combining marks, invisible characters dropped,
    separating controls read as spaces. Offsets map each output character back."""
    if PLAIN.fullmatch(text):  # the common case: nothing to change
        return Normalized(text=text, starts=tuple(range(len(text))), ends=_ends(len(text)))
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    n, size = 0, len(text)
    while n < size:
        if text[n] in SEPARATING_CONTROLS:
            cluster, end = " ", n + 1
        elif _dropped(text[n]):
            n += 1
            continue
        else:
            # a base character with the combining marks after it, normalised together
            # ("e" + U+0301 becomes "é"); invisible characters among them are dropped
            end = n + 1
            while end < size and (unicodedata.combining(text[end]) or _invisible(text[end])):
                end += 1
            cluster = "".join(c for c in text[n:end] if not _dropped(c))
        for piece in cluster if cluster.isascii() else unicodedata.normalize("NFKC", cluster):
            out.append(piece)
            starts.append(n)
            ends.append(end)
        n = end
    return Normalized(text="".join(out), starts=tuple(starts), ends=tuple(ends))


def _invisible(char: str) -> bool:
    return _dropped(char) and char not in SEPARATING_CONTROLS


def _ends(size: int) -> tuple[int, ...]:
    return tuple(range(1, size + 1))

"""What a user says in chat becomes profile signals: stated interests and dislikes.

Rules over the *redacted* message (never raw text), kept deliberately plain: they are
predictable, testable and cost nothing; a model-based extractor can replace them behind
the same function."""

from __future__ import annotations

import re
from dataclasses import dataclass

PHRASE = r"(?P<x>[a-z0-9][a-z0-9 &/\-]{1,60}?)"
END = r"(?=\s*(?:[,.;!?]|\band\b|\bbut\b|\bso\b|$))"
DISLIKES = [
    rf"\bi (?:really )?(?:don't|do not|dont) (?:care about|need|use|want|like) {PHRASE}{END}",
    rf"\b(?:i'm|i am|im) not (?:interested in|into|responsible for) {PHRASE}{END}",
    rf"\bnot interested in {PHRASE}{END}",
    rf"\b(?:stop showing|no more|less) {PHRASE}{END}",
    rf"\bi (?:hate|dislike) {PHRASE}{END}",
]
INTERESTS = [
    rf"\bi (?:run|lead|manage|head|own) (?:the |our |a )?{PHRASE}{END}",
    rf"\bi work (?:on|in|with) (?:the |our )?{PHRASE}{END}",
    rf"\b(?:i'm|i am|im) (?:interested in|into|responsible for|focused on) {PHRASE}{END}",
    rf"\bi (?:care about|need|want|am looking for|'m looking for) {PHRASE}{END}",
    rf"\b(?:looking for|interested in|focused on) {PHRASE}{END}",
]
FILLER = {"it", "that", "this", "them", "anything", "something", "stuff", "things", "help"}


@dataclass(frozen=True, kw_only=True)
class Signals:
    interests: tuple[str, ...] = ()
    dislikes: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.interests or self.dislikes)


def _phrases(patterns: list[str], text: str) -> list[str]:
    found: list[str] = []
    for pattern in patterns:
        for match in re.finditer(pattern, text):
            phrase = re.sub(r"\s+", " ", match.group("x")).strip(" -/&")
            if phrase and phrase not in FILLER and phrase not in found:
                found.append(phrase)
    return found


def extract_signals(redacted_message: str) -> Signals:
    """Interests and dislikes stated in a message. Phrases holding a placeholder are
    skipped: private details are never profile signals."""
    text = redacted_message.lower().replace("’", "'")
    if "<" in text:
        text = re.sub(r"<[a-z_]+_\d+>", " <pii> ", text)
    dislikes = [d for d in _phrases(DISLIKES, text) if "<pii>" not in d]
    interests = [i for i in _phrases(INTERESTS, text) if "<pii>" not in i and i not in dislikes]
    # "I don't care about X" also matches the interest rule "care about X": drop those.
    interests = [i for i in interests if not any(i in d or d in i for d in dislikes)]
    return Signals(interests=tuple(interests), dislikes=tuple(dislikes))

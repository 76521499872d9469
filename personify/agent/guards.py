"""Checks on what a model wrote. Anything that fails falls back to a deterministic answer."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from personify.domain import Candidate, FallbackReason
from personify.privacy.vault import PLACEHOLDER_FRAGMENT, Vault

MARKER = re.compile(r"\[\[\s*([A-Za-z0-9][A-Za-z0-9_.:@\-]{0,127})\s*\]\]")
# Template slots the model filled in itself ("[tool_name]", "[Your Name]"), and words that
# only echo our instructions back.
SLOT = re.compile(r"(?<!\[)\[[A-Za-z][A-Za-z _]{1,30}\](?!\])")
ECHOES = ("candidate", "not stated", "json", "placeholder")
LINK = re.compile(r"https?://|www\\.", re.IGNORECASE)
ARTIFACTS = ("<|im_start|>", "<|im_end|>", "{product}", "{profile}", "{candidates}")
WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, kw_only=True)
class Choice:
    item_id: str
    reason: str


class GuardFailure(Exception):
    """The reply can't be shown; `reason` goes into provenance.fallback."""

    def __init__(self, reason: FallbackReason) -> None:
        super().__init__(reason)
        self.reason = reason


WELCOME_REST = 160  # characters after "Welcome to <product>" in an onboarding message
REGEX_SPECIAL = frozenset('.^$*+?()[]{}|\\/"')


def onboarding_schema(ids: list[str], count: int, product: str) -> dict[str, Any]:
    """JSON schema with item ids constrained to the candidates (a grammar, locally). The
    model writes a short welcome and picks; each pick's reason is the one retrieval made
    from the real signal (agent/reasons.py), which a small model cannot improve on and
    which would triple what it has to write. The message must open with "Welcome to
    <product>": left to itself, a small model described the list instead ("You have a list
    of items..."), where the grammar starts it on the welcome it was asked for."""
    opening = "".join(f"\\{c}" if c in REGEX_SPECIAL else c for c in f"Welcome to {product}")
    return {
        "type": "object",
        "properties": {
            "message": {
                "type": "string",
                "minLength": 20,
                "maxLength": 200,
                # then up to WELCOME_REST more characters, no quote or backslash (with a
                # pattern, llama.cpp's grammar no longer reads maxLength)
                "pattern": f'^{opening}[^"\\\\]{{0,{WELCOME_REST}}}$',
            },
            "items": {
                "type": "array",
                "minItems": 1,
                "maxItems": count,
                "items": {"type": "string", "enum": ids},
            },
        },
        "required": ["message", "items"],
    }


def json_answer(text: str) -> dict[str, Any]:
    """The JSON object in a reply, which must have a string "message"."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise GuardFailure("invalid_output")
    try:
        data = json.loads(text[start : end + 1], strict=False)  # a raw newline in a string
    except json.JSONDecodeError as exc:
        raise GuardFailure("invalid_output") from exc
    if not isinstance(data, dict) or not isinstance(data.get("message"), str):
        raise GuardFailure("invalid_output")
    return data


def chat_schema(ids: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "message": {"type": "string", "minLength": 20, "maxLength": 400},
            "items": {"type": "array", "maxItems": 3, "items": {"type": "string", "enum": ids}},
        },
        "required": ["message", "items"],
    }


def parse_chat(raw: str, allowed: set[str]) -> tuple[str, list[str]]:
    """A chat answer as (message, item ids). JSON when the backend honoured the schema;
    plain text with [[id]] markers when it did not. Ids outside `allowed` are dropped."""
    if not raw.lstrip().startswith("{"):
        return raw.strip(), []
    data = json_answer(raw)
    listed = data.get("items")
    ids: list[Any] = listed if isinstance(listed, list) else []
    return data["message"].strip(), [i for i in ids if isinstance(i, str) and i in allowed]


def check_text(text: str, vault: Vault) -> None:
    """Reject empty, repetitive, artifact-laden or placeholder-leaking prose."""
    if len(text.strip()) < 20:
        raise GuardFailure("degenerate")
    check_sentence(text, vault)


def check_sentence(text: str, vault: Vault) -> None:
    """What `check_text` rejects in any part of an answer, however short: template
    artifacts, repetition, links, placeholders the user does not own."""
    stripped = text.strip()
    if any(a in stripped for a in ARTIFACTS):
        raise GuardFailure("degenerate")
    words = WORD.findall(stripped.lower())
    grams = Counter(tuple(words[i : i + 4]) for i in range(len(words) - 3))
    if grams and grams.most_common(1)[0][1] >= 3:
        raise GuardFailure("repetition")
    if len(words) >= 30 and len(set(words)) / len(words) < 0.35:
        raise GuardFailure("repetition")
    if SLOT.search(stripped) or any(e in stripped.lower() for e in ECHOES):
        raise GuardFailure("degenerate")
    if LINK.search(stripped):
        raise GuardFailure("link")  # links are not in the catalog: the model made them up
    if vault.unknown_placeholders(stripped):
        raise GuardFailure("placeholder_leak")
    known_removed = re.sub(r"<[A-Z_]+_\d+>", "", stripped)
    if PLACEHOLDER_FRAGMENT.search(known_removed):
        raise GuardFailure("placeholder_leak")


WELCOME = re.compile(r"\bwelcome\b", re.IGNORECASE)


def check_welcome(message: str, product: str) -> None:
    """An onboarding message welcomes the user to the product, as its template asks: it
    says welcome or names the product. A small model that answers something else ("You
    have a list of items...", "What's your next question?") falls back to a welcome."""
    if not WELCOME.search(message) and product.lower() not in message.lower():
        raise GuardFailure("not_a_welcome")


def parse_onboarding(
    text: str, candidates: list[Candidate], vault: Vault
) -> tuple[str, list[Choice]]:
    """Parse and validate the model's JSON; raise GuardFailure with the reason otherwise."""
    data = json_answer(text)
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise GuardFailure("invalid_output")
    allowed = {c.item.id for c in candidates}
    choices: list[Choice] = []
    for entry in raw_items:  # an id, or {"item_id", "reason"} from a server without schemas
        if isinstance(entry, str):
            entry = {"item_id": entry}
        if not isinstance(entry, dict) or not isinstance(entry.get("item_id"), str):
            raise GuardFailure("invalid_output")
        if entry["item_id"] not in allowed:
            raise GuardFailure("unknown_item")
        if entry["item_id"] not in {c.item_id for c in choices}:
            choices.append(Choice(item_id=entry["item_id"], reason=str(entry.get("reason", ""))))
    check_text(data["message"], vault)
    return data["message"].strip(), choices


def interest_terms(interests: list[str], top_categories: list[str]) -> set[str]:
    words = WORD.findall(" ".join(interests + top_categories).lower())
    return {w for w in words if len(w) >= 4}


def mentions_interest(candidate: Candidate, terms: set[str]) -> bool:
    item = candidate.item
    text = " ".join([item.title, item.category, item.description, *item.tags]).lower()
    return any(term in text for term in terms)


def check_interests(choices: list[Choice], candidates: list[Candidate], terms: set[str]) -> None:
    """If some candidate matches the user's stated interests, a chosen item must too."""
    if not terms:
        return
    by_id = {c.item.id: c for c in candidates}
    if not any(mentions_interest(c, terms) for c in candidates):
        return
    if not any(mentions_interest(by_id[ch.item_id], terms) for ch in choices):
        raise GuardFailure("off_interest")

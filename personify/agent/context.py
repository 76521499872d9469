"""What the agent tells a model about a user and the candidates, always redacted.

Every text is cut to a fixed length before it is redacted, so the redactor's work per
request is bounded whatever a caller stored (30 traits of 50 values of 5,000 characters
would otherwise be 7.5 MB); the token budget (prompts/budget.py) then trims the rest."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from personify.domain import Candidate, Profile
from personify.privacy.redactor import Redactor
from personify.privacy.vault import Vault

FIELD_CHARS = 400  # a trait's value (a list's values joined), or the chat notes
TURN_CHARS = 1000  # one turn of the conversation history
HISTORY_TURNS = 12  # the newest turns a prompt may hold; older ones are never read
CUT = "…"
# Traits that say most about what the user wants: the last a prompt lets go of. `about`
# and the caller's own traits go first.
CORE_TRAITS = ("name", "first_name", "role", "industry", "interests", "goal")


@dataclass(frozen=True, kw_only=True)
class UserContext:
    core: tuple[str, ...]  # redacted profile lines, most important first
    extra: tuple[str, ...]  # redacted `about` and the caller's own traits: dropped first
    name_placeholder: str | None  # e.g. "<PERSON_1>" when the user gave a name
    interests: list[str]  # redacted stated interests


def user_context(
    profile: Profile, redactor: Redactor, vault: Vault, recent: list[str] | None = None
) -> UserContext:
    """Redact every free-text trait (cut to FIELD_CHARS first); summarise behaviour (which
    holds no free text). `recent`: titles of the items the user touched last."""
    traits = {key: cut(value, FIELD_CHARS) for key, value in profile.traits.free_text().items()}
    core: list[str] = []
    extra: list[str] = []
    name_placeholder = None
    labels = _labels(list(traits), redactor, vault)
    for (key, value), label in zip(traits.items(), labels, strict=True):
        redacted = redactor.redact(value, vault)
        (core if key in CORE_TRAITS else extra).append(f"{label}: {redacted}")
        if key in ("name", "first_name") and redacted.startswith("<PERSON_"):
            name_placeholder = redacted.split(">")[0] + ">"
    for key, phrases in (
        ("chat_interests", profile.notes.interests),
        ("chat_dislikes", profile.notes.dislikes),
    ):
        if phrases:  # said in chat, kept redacted; redacted again all the same
            text = cut(", ".join(phrases), FIELD_CHARS)
            core.append(f"{key}: {redactor.redact(text, vault)}")
    features = profile.features
    if features.top_categories:
        core.append("most used areas: " + ", ".join(features.top_categories))
    if recent:
        core.append("recently opened: " + ", ".join(recent))
    if features.events_total:
        core.append(f"activity: {features.events_30d} actions in the last 30 days")
    else:
        core.append("activity: new user, no activity yet")
    interests = [redactor.redact(i, vault) for i in profile.traits.interests]
    return UserContext(
        core=tuple(core),
        extra=tuple(extra),
        name_placeholder=name_placeholder,
        interests=interests,
    )


def conversation(
    turns: Sequence[tuple[str, str]], redactor: Redactor, vault: Vault, *, answers_too: bool
) -> list[BaseMessage]:
    """The newest HISTORY_TURNS (role, text) turns as messages, each cut to TURN_CHARS and
    then redacted: the user's always, the assistant's when `answers_too` (a client's
    history; stored answers passed the output guard)."""
    messages: list[BaseMessage] = []
    for role, text in turns[-HISTORY_TURNS:]:
        short = cut(text, TURN_CHARS)
        if role == "user":
            messages.append(HumanMessage(redactor.redact(short, vault)))
        else:
            messages.append(AIMessage(redactor.redact(short, vault) if answers_too else short))
    return messages


def cut(text: str, limit: int) -> str:
    """At most about `limit` characters, cut at a space so no word (an e-mail address, a
    card number) is left half there for the redactor to miss; a longer run with no space
    at all is dropped whole."""
    if len(text) <= limit:
        return text
    head = re.match(r"(.*)\s", text[: limit + 1], flags=re.DOTALL)
    return (head.group(1).rstrip() + " " + CUT) if head and head.group(1).strip() else CUT


def _labels(names: list[str], redactor: Redactor, vault: Vault) -> list[str]:
    """Trait names as prompt labels, redacted too (a name is the caller's text): one call
    for all of them, a line each."""
    if not names:
        return []
    text = "\n".join(name.replace("_", " ") for name in names)
    return redactor.redact(text, vault).split("\n")


def candidate_lines(candidates: list[Candidate]) -> str:
    return "\n".join(
        f"{c.item.id} | {c.item.title} | {c.item.category} | {c.reasons[0] if c.reasons else ''}"
        for c in candidates
    )

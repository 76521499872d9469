"""What the agent tells a model about a user and the candidates, always redacted."""

from __future__ import annotations

from dataclasses import dataclass

from personify.domain import Candidate, Profile
from personify.privacy.redactor import Redactor
from personify.privacy.vault import Vault


@dataclass(frozen=True, kw_only=True)
class UserContext:
    summary: str  # redacted profile summary for the prompt
    name_placeholder: str | None  # e.g. "<PERSON_1>" when the user gave a name
    interests: list[str]  # redacted stated interests


def user_context(
    profile: Profile, redactor: Redactor, vault: Vault, recent: list[str] | None = None
) -> UserContext:
    """Redact every free-text trait; summarise behaviour (which holds no free text).
    `recent`: titles of the items the user touched last (a card click, say)."""
    lines: list[str] = []
    name_placeholder = None
    traits = profile.traits.free_text()
    for key, label, value in zip(
        traits, _labels(list(traits), redactor, vault), traits.values(), strict=True
    ):
        redacted = redactor.redact(value, vault)
        lines.append(f"{label}: {redacted}")
        if key in ("name", "first_name") and redacted.startswith("<PERSON_"):
            name_placeholder = redacted.split(">")[0] + ">"
    for key, phrases in (
        ("chat_interests", profile.notes.interests),
        ("chat_dislikes", profile.notes.dislikes),
    ):
        if phrases:  # said in chat, kept redacted; redacted again all the same
            lines.append(f"{key}: {redactor.redact(', '.join(phrases), vault)}")
    features = profile.features
    if features.top_categories:
        lines.append("most used areas: " + ", ".join(features.top_categories))
    if recent:
        lines.append("recently opened: " + ", ".join(recent))
    if features.events_total:
        lines.append(f"activity: {features.events_30d} actions in the last 30 days")
    else:
        lines.append("activity: new user, no activity yet")
    interests = [redactor.redact(i, vault) for i in profile.traits.interests]
    return UserContext(
        summary="\n".join(lines), name_placeholder=name_placeholder, interests=interests
    )


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

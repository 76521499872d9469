"""Onboarding by conversation: a user we know nothing about is asked for their role, goal
and interests, one question per turn; each answer (redacted) becomes a trait. The
question awaiting an answer is kept in the agent's notes (AgentNotes.asking)."""

from __future__ import annotations

import re
from typing import Any

from personify.prompts import load_template

STEPS = ("role", "goal", "interests")


def wants_elicitation(traits: dict[str, Any], asking: str | None, has_events: bool) -> bool:
    """Ask when we know nothing yet, and keep going once a question is pending."""
    if asking:
        return True
    return not has_events and not traits.get("role") and not traits.get("interests")


def record_answer(traits: dict[str, Any], step: str | None, redacted_answer: str) -> dict[str, Any]:
    """The traits with the answer to the pending question (`step`), if any, recorded."""
    updated = dict(traits)
    answer = redacted_answer.strip()[:200]
    if step in STEPS and answer:
        if step == "interests":
            parts = re.split(r",|;|\band\b|\n", answer)
            updated["interests"] = [p.strip(" .") for p in parts if p.strip(" .")][:10]
        else:
            updated[step] = answer
    return updated


def next_question(traits: dict[str, Any], product: str) -> tuple[str, str] | None:
    """(step, question) for the first thing we don't know yet, or None when done."""
    template = load_template("elicit")
    for step in STEPS:
        if not traits.get(step):
            return step, template.extra[step].format(product=product)
    return None

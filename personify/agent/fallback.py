"""Deterministic answers from the ranked candidates, used whenever a model's answer fails."""

from __future__ import annotations

from personify.domain import Candidate, PlanItem


def onboarding_message(
    candidates: list[Candidate], name: str | None, goal: str | None, personalized: bool = True
) -> str:
    greeting = f"Welcome, {name}!" if name else "Welcome!"
    basis = f"your goal ({goal})" if goal else "what we know about you so far"
    if not personalized:
        basis = "what is popular with other users (you have not turned on personalization)"
    titles = ", ".join(c.item.title for c in candidates)
    return f"{greeting} Based on {basis}, here are good places to start: {titles}."


def plan_items(candidates: list[Candidate]) -> list[PlanItem]:
    return [
        PlanItem(
            item_id=c.item.id,
            title=c.item.title,
            reason=c.reasons[0] if c.reasons else "Recommended for you",
        )
        for c in candidates
    ]


def chat_message(candidates: list[Candidate]) -> str:
    if not candidates:
        return "I could not find anything in the catalog that fits; could you tell me more?"
    lines = [
        f"- {c.item.title}: {c.reasons[0] if c.reasons else c.item.category}" for c in candidates
    ]
    return "Here is what I would suggest for that:\n" + "\n".join(lines)

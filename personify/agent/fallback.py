"""Deterministic answers from the ranked candidates, used whenever a model's answer fails."""

from __future__ import annotations

from personify.agent.grounding import ChatAnswer, PlanDraft
from personify.domain import Candidate, PlanItem


def onboarding_plan(
    candidates: list[Candidate], name: str | None, goal: str | None, personalized: bool = True
) -> PlanDraft:
    return PlanDraft(
        message=onboarding_message(candidates, name, goal, personalized),
        items=plan_items(candidates),
    )


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
        PlanItem(item_id=c.item.id, title=c.item.title, reason=first_reason(c)) for c in candidates
    ]


def first_reason(candidate: Candidate) -> str:
    return candidate.reasons[0] if candidate.reasons else "Recommended for you"


def chat_answer(candidates: list[Candidate]) -> ChatAnswer:
    text = chat_message(candidates)
    return ChatAnswer(text=text, stored=text, item_ids=[c.item.id for c in candidates])


def chat_message(candidates: list[Candidate]) -> str:
    if not candidates:
        return "I could not find anything in the catalog that fits; could you tell me more?"
    lines = [
        f"- {c.item.title}: {c.reasons[0] if c.reasons else c.item.category}" for c in candidates
    ]
    return "Here is what I would suggest for that:\n" + "\n".join(lines)

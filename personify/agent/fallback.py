"""Deterministic answers from the ranked candidates, used whenever a model's answer fails.

They answer in the catalog's own words: the chat answer leads with the item whose
description answers the question best ("Try Data Quality Monitor (template): ... with
alerts when a load is late"), then lists the others with the reasons agent/reasons.py
made for this user; the welcome names the product and why its first item comes first."""

from __future__ import annotations

from collections.abc import Mapping

from personify.agent.grounding import ChatAnswer, PlanDraft
from personify.agent.reasons import QUESTION_FIT, Reason, lower_first, sentence_case
from personify.domain import Candidate, PlanItem, Tone

NO_REASONS: Mapping[str, Reason] = {}


def onboarding_plan(
    candidates: list[Candidate],
    name: str | None,
    goal: str | None,
    personalized: bool = True,
    *,
    product: str | None = None,
    tone: Tone = "friendly",
    reasons: Mapping[str, Reason] = NO_REASONS,
) -> PlanDraft:
    return PlanDraft(
        message=onboarding_message(candidates, name, goal, personalized, product, reasons, tone),
        items=plan_items(candidates),
    )


def onboarding_message(
    candidates: list[Candidate],
    name: str | None,
    goal: str | None,
    personalized: bool = True,
    product: str | None = None,
    reasons: Mapping[str, Reason] = NO_REASONS,
    tone: Tone = "friendly",
) -> str:
    """ "Welcome to Acme Analytics, Dana! For your interest in data quality, start with
    Data Quality Monitor: freshness, row counts ... Then try A and B." """
    greeting = welcome(product, name, tone)
    if not candidates:
        return greeting
    first, rest = candidates[0], [c.item.title for c in candidates[1:]]
    reason = reasons.get(first.item.id)
    if not personalized:
        basis = "You have not turned on personalization, so from what is popular with others"
    elif goal and (reason is None or reason.kind == "question"):
        basis = f"For your goal ({goal})"
    elif reason is not None and reason.because:
        basis = sentence_case(reason.because)
    else:
        basis = "From what we know about you so far"
    clause = f": {lower_first(reason.clause)}." if reason is not None and reason.clause else "."
    after = f" Then try {_listed(rest)}." if rest else ""
    return f"{greeting} {basis}, start with {first.item.title}{clause}{after}"


GREETINGS: dict[Tone, tuple[str, str]] = {  # (with the user's name, without)
    "friendly": ("Welcome{place}, {name}!", "Welcome{place}!"),
    "professional": ("Welcome{place}, {name}.", "Welcome{place}."),
    "concise": ("Hi {name}.", "Hi."),
}


def welcome(product: str | None, name: str | None, tone: Tone = "friendly") -> str:
    """ "Welcome to Acme Insights, Dana!" in the tenant's tone."""
    named, anonymous = GREETINGS[tone]
    place = f" to {product}" if product else ""
    return (named if name else anonymous).format(place=place, name=name)


def plan_items(candidates: list[Candidate]) -> list[PlanItem]:
    return [
        PlanItem(item_id=c.item.id, title=c.item.title, reason=first_reason(c)) for c in candidates
    ]


def first_reason(candidate: Candidate) -> str:
    return candidate.reasons[0] if candidate.reasons else "Recommended for you"


def chat_answer(
    candidates: list[Candidate], reasons: Mapping[str, Reason] = NO_REASONS, count: int = 3
) -> ChatAnswer:
    """The `count` best candidates, the one whose description answers the question first."""
    chosen = _answer_first(candidates, reasons)[:count]
    text = chat_message(chosen, reasons)
    return ChatAnswer(text=text, stored=text, item_ids=[c.item.id for c in chosen])


def chat_message(candidates: list[Candidate], reasons: Mapping[str, Reason] = NO_REASONS) -> str:
    if not candidates:
        return "I could not find anything in the catalog that fits; could you tell me more?"
    lead = candidates[0]
    reason = reasons.get(lead.item.id)
    if reason is not None and reason.kind == "question":
        opening = f"Try {lead.item.title} ({lead.item.category}): {lower_first(reason.clause)}."
        others, heading = candidates[1:], "Also worth a look:"
    else:
        opening = "Nothing answers that exactly; here is what fits you best:"
        others, heading = candidates, ""
    lines = [f"- {c.item.title}: {first_reason(c)}" for c in others]
    return "\n".join([opening, *([heading] if heading and lines else []), *lines])


def _answer_first(candidates: list[Candidate], reasons: Mapping[str, Reason]) -> list[Candidate]:
    """The candidate whose description answers the question best leads, when one does;
    the rest keep the ranker's order."""
    fits = [reasons[c.item.id].fit if c.item.id in reasons else 0.0 for c in candidates]
    if not fits or max(fits) < QUESTION_FIT:
        return list(candidates)
    best = fits.index(max(fits))
    return [candidates[best], *candidates[:best], *candidates[best + 1 :]]


def _listed(titles: list[str]) -> str:
    return titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + f" and {titles[-1]}"

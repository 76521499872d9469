"""The prompt for one model call: the versioned template rendered with the redacted
context, history, question and candidates, all of it trimmed to the token budget, with the
JSON schema that constrains the answer to the candidates that fit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langchain_core.messages import BaseMessage

from personify.agent.context import UserContext, candidate_lines
from personify.agent.guards import chat_schema, onboarding_schema
from personify.domain import TONE_VOICE, Candidate, Tone
from personify.prompts import Parts, fit_to_budget, load_template

ONBOARDING_PICKS = 3
# The templates' system messages hold only what is fixed for a product (its name and tone),
# so llama.cpp reuses their evaluated prefix from one call to the next; everything about
# the user and the question comes after them.
VERSION = "v2"


@dataclass(frozen=True, kw_only=True)
class Prompt:
    template: str  # the template's id and version, e.g. "chat.v3"
    messages: list[BaseMessage]  # redacted
    shown: list[Candidate]  # the candidates that fit the budget: all an answer may name
    schema: dict[str, Any]
    picks: int = ONBOARDING_PICKS  # onboarding: how many items the plan lists

    @property
    def by_id(self) -> dict[str, Candidate]:
        return {c.item.id: c for c in self.shown}


def onboarding_prompt(
    *,
    product: str,
    tone: Tone = "friendly",
    context: UserContext,
    goal: str | None,
    candidates: list[Candidate],
    budget: int,
    version: str | None = None,
    picks: int = ONBOARDING_PICKS,
) -> Prompt:
    """`version` and `picks`: what an experiment's variant may set."""
    template = load_template("onboarding", version or VERSION)

    def build(parts: Parts[Candidate]) -> list[BaseMessage]:
        return template.render(
            product=product,
            voice=TONE_VOICE[tone],
            profile=parts.profile_text,
            goal=parts.question,
            candidates=candidate_lines(parts.candidates),
            count=picks,
        )

    parts = _parts(context, candidates, [], goal or "not stated")
    messages, fitted = fit_to_budget(build, parts, budget)
    shown = fitted.candidates
    schema = onboarding_schema([c.item.id for c in shown], picks, product)
    return Prompt(template=template.id, messages=messages, shown=shown, schema=schema, picks=picks)


def chat_prompt(
    *,
    product: str,
    tone: Tone = "friendly",
    context: UserContext,
    message: str,
    past: list[BaseMessage],
    candidates: list[Candidate],
    budget: int,
    version: str | None = None,
) -> Prompt:
    template = load_template("chat", version or VERSION)

    def build(parts: Parts[Candidate]) -> list[BaseMessage]:
        shown = parts.candidates
        return template.render(
            history=parts.history,
            product=product,
            voice=TONE_VOICE[tone],
            profile=parts.profile_text,
            candidates=candidate_lines(shown),
            example_id=shown[0].item.id if shown else "item-id",
            message=parts.question,
        )

    messages, fitted = fit_to_budget(build, _parts(context, candidates, past, message), budget)
    shown = fitted.candidates
    schema = chat_schema([c.item.id for c in shown])
    return Prompt(template=template.id, messages=messages, shown=shown, schema=schema)


def _parts(
    context: UserContext, candidates: list[Candidate], past: list[BaseMessage], question: str
) -> Parts[Candidate]:
    return Parts(
        candidates=list(candidates),
        history=list(past),
        profile=list(context.core),
        extra=list(context.extra),
        question=question,
    )

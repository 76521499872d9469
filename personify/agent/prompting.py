"""The prompt for one model call: the versioned template rendered with the redacted
context and the candidates, trimmed to the token budget, with the JSON schema that
constrains the answer to those candidates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langchain_core.messages import BaseMessage

from personify.agent.context import UserContext, candidate_lines
from personify.agent.guards import chat_schema, onboarding_schema
from personify.domain import Candidate
from personify.prompts import load_template, trim_to_budget

ONBOARDING_PICKS = 3


@dataclass(frozen=True, kw_only=True)
class Prompt:
    template: str  # the template's id and version, e.g. "chat.v3"
    messages: list[BaseMessage]  # redacted
    shown: list[Candidate]  # the candidates that fit the budget: all an answer may name
    schema: dict[str, Any]

    @property
    def by_id(self) -> dict[str, Candidate]:
        return {c.item.id: c for c in self.shown}


def onboarding_prompt(
    *,
    product: str,
    context: UserContext,
    goal: str | None,
    candidates: list[Candidate],
    budget: int,
) -> Prompt:
    template = load_template("onboarding")

    def build(shown: list[Candidate], _history: list[BaseMessage]) -> list[BaseMessage]:
        return template.render(
            product=product,
            profile=context.summary,
            goal=goal or "not stated",
            candidates=candidate_lines(shown),
            count=ONBOARDING_PICKS,
        )

    messages, shown = trim_to_budget(build, candidates, [], budget)
    schema = onboarding_schema([c.item.id for c in shown], ONBOARDING_PICKS)
    return Prompt(template=template.id, messages=messages, shown=shown, schema=schema)


def chat_prompt(
    *,
    product: str,
    context: UserContext,
    message: str,
    past: list[BaseMessage],
    candidates: list[Candidate],
    budget: int,
) -> Prompt:
    template = load_template("chat")

    def build(shown: list[Candidate], history: list[BaseMessage]) -> list[BaseMessage]:
        return template.render(
            history=history,
            product=product,
            profile=context.summary,
            candidates=candidate_lines(shown),
            example_id=shown[0].item.id if shown else "item-id",
            message=message,
        )

    messages, shown = trim_to_budget(build, candidates, past, budget)
    schema = chat_schema([c.item.id for c in shown])
    return Prompt(template=template.id, messages=messages, shown=shown, schema=schema)

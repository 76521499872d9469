"""Generate and guard: the model's answer when it passes every guard, else the
deterministic answer over the same candidates, saying why. Onboarding and chat go
through here, and so must any other text a model writes for a user."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from personify.agent.guards import GuardFailure
from personify.domain import FallbackReason, PlanItem
from personify.errors import ProviderError, ProviderTimeout

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
DETERMINISTIC = "deterministic"  # the model name in provenance when the fallback answered


@dataclass(frozen=True, kw_only=True)
class Grounded(Generic[T_co]):
    value: T_co
    model: str  # the chat model's name, or DETERMINISTIC
    fallback: FallbackReason | None  # why the model's answer was not used


def ground_or_fall_back(
    model: str, attempt: Callable[[], T], fall_back: Callable[[], T]
) -> Grounded[T]:
    """`attempt` calls the model and raises GuardFailure when a guard rejects its answer;
    a model that fails or times out is a fallback too, never an error for the user."""
    reason: FallbackReason
    try:
        return Grounded(value=attempt(), model=model, fallback=None)
    except GuardFailure as exc:
        reason = exc.reason
    except ProviderTimeout:
        reason = "timeout"
    except ProviderError:
        reason = "model_error"
    return Grounded(value=fall_back(), model=DETERMINISTIC, fallback=reason)


@dataclass(frozen=True, kw_only=True)
class PlanDraft:
    """An onboarding answer before provenance: the welcome and the chosen items."""

    message: str
    items: list[PlanItem]


@dataclass(frozen=True, kw_only=True)
class ChatAnswer:
    text: str  # what the user sees: item titles in, their own values restored
    stored: str  # what the conversation keeps: redacted
    item_ids: list[str]  # the candidates it stands on, shown as cards

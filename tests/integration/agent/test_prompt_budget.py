"""Whatever a caller stores or sends, a prompt stays within PERSONIFY_PROMPT_TOKEN_BUDGET
and the redactor reads a bounded amount of text: real Presidio (counted by a small
wrapper), real retrieval, a scripted model that keeps what it was sent."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from personify.agent.context import FIELD_CHARS, HISTORY_TURNS, TURN_CHARS
from personify.agent.testing import ScriptedChatModel
from personify.demo import load_demo
from personify.domain import MAX_TEXT, MAX_TRAITS, Done
from personify.privacy.redactor import PiiSpan, PresidioRedactor
from personify.privacy.vault import Vault
from personify.prompts import count_tokens
from personify.service import Personify
from personify.settings import Settings
from tests.conftest import build

# The attack: 30 traits, each a list of 26 values of 4,990 characters (3.9 MB).
WORDS = "Reach Dana Whitfield at dana.whitfield@example.com or 415-555-0132 about quarterly "


def attacker_traits() -> dict[str, object]:
    value = (WORDS * (4990 // len(WORDS) + 1))[:4990]
    traits: dict[str, object] = {f"note_{n}": [value] * 26 for n in range(MAX_TRAITS - 2)}
    traits["role"] = "data analyst"
    traits["about"] = "x" * 4990  # one word with no space to cut at
    return traits


@dataclass
class Counted:
    """Characters handed to the real redactor, however many tenant views it has."""

    chars: list[int] = field(default_factory=lambda: [0])

    @property
    def total(self) -> int:
        return self.chars[0]


@dataclass
class CountingRedactor:
    inner: PresidioRedactor
    counted: Counted

    def scoped(self, allowed: set[str]) -> CountingRedactor:
        return CountingRedactor(self.inner.scoped(allowed), self.counted)

    def find(self, text: str) -> list[PiiSpan]:
        self.counted.chars[0] += len(text)
        return self.inner.find(text)

    def redact(self, text: str, vault: Vault) -> str:
        self.counted.chars[0] += len(text)
        return self.inner.redact(text, vault)


@pytest.fixture
def counted() -> Counted:
    return Counted()


@pytest.fixture
def app(
    settings: Settings,
    embedder,  # noqa: ANN001
    redactor: PresidioRedactor,
    scripted: ScriptedChatModel,
    counted: Counted,
) -> Iterator[Personify]:
    built = build(settings, embedder, CountingRedactor(redactor, counted), scripted)  # type: ignore[arg-type]
    assert load_demo(built)
    yield built
    built.close()


def test_huge_traits_give_onboarding_a_prompt_within_budget(
    app: Personify, scripted: ScriptedChatModel, counted: Counted
) -> None:
    app.put_traits("mallory", attacker_traits())
    scripted.default = "not JSON"  # the deterministic plan: what we check is what was sent
    counted.chars[0] = 0
    plan = app.onboard("mallory", goal="Build a churn dashboard for my team")
    assert len(plan.items) == 3
    prompt = scripted.history[-1]
    assert count_tokens(prompt) <= app.settings.prompt_token_budget
    text = "\n".join(str(m.content) for m in prompt)
    assert "data analyst" in text and "churn dashboard" in text  # the essentials stay
    assert "dana.whitfield" not in text and "Whitfield" not in text  # and all is redacted
    assert len(plan.provenance.candidates) >= 3
    # each of the 30 traits is cut before redaction: kilobytes read, not megabytes
    assert counted.total < MAX_TRAITS * (FIELD_CHARS + 100) + 5_000


def test_a_long_client_history_is_cut_before_it_is_redacted(
    app: Personify, scripted: ScriptedChatModel, counted: Counted
) -> None:
    long_turn = WORDS * 480  # about 40 kB a turn
    history = [("user" if n % 2 == 0 else "assistant", long_turn) for n in range(98)]
    scripted.default = ""
    counted.chars[0] = 0
    question = "Which report shows where sign-ups drop off?"
    events = list(app.chat_events("marco", "openai", question, history))
    assert isinstance(events[-1], Done)
    prompt = scripted.history[-1]
    assert count_tokens(prompt) <= app.settings.prompt_token_budget
    assert question in str(prompt[-1].content)  # the question is kept whole
    assert counted.total < HISTORY_TURNS * (TURN_CHARS + 10) + 20_000


def test_an_overlong_question_is_cut_to_fit_a_small_budget(
    settings: Settings,
    embedder,  # noqa: ANN001
    redactor: PresidioRedactor,
    scripted: ScriptedChatModel,
) -> None:
    small = settings.model_copy(update={"prompt_token_budget": 400})
    service = build(small, embedder, redactor, scripted)
    try:
        assert load_demo(service)
        scripted.default = ""
        question = ("How do I compare retention between two cohorts of users? " * 100)[:MAX_TEXT]
        turn = service.chat("marco", "s1", question)
        prompt = scripted.history[-1]
        assert count_tokens(prompt) <= 400
        asked = str(prompt[-1].content).rsplit("\n\n", 1)[-1]  # after the items and profile
        assert asked.startswith("How do I compare retention") and asked.endswith("…")
        assert len(turn.provenance.candidates) >= 3
    finally:
        service.close()

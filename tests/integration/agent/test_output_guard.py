"""What a model writes is checked before a user sees it: no personal data the prompt did
not hold, no item id or product-like name that is not among the candidates."""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from personify.agent.guards import GuardFailure
from personify.agent.output_guard import OutputGuard
from personify.privacy.redactor import PresidioRedactor

PROMPT = [
    SystemMessage(
        "Suggest items only from this list (id | title | category | why):\n"
        "feat-dq | Data Quality Monitor | feature | alerts when a load is late\n"
        "int-slack | Slack Integration | integration | write to support@acme-analytics.com\n"
        "About the user:\nname: <PERSON_1>\nrole: Data engineering lead"
    ),
    HumanMessage("How do I catch late loads, <PERSON_1>?"),
]


@pytest.fixture
def guard(redactor: PresidioRedactor) -> OutputGuard:
    return OutputGuard(redactor, PROMPT, ["feat-dq", "int-slack"])


@pytest.mark.parametrize(
    "text",
    [
        "Hi <PERSON_1>, the Data Quality Monitor alerts you when a load is late.",
        "Try Data Quality Monitor. Then add the Slack Integration for your team.",
        "Open feat-dq first; it works in real-time for a data-driven team.",
        "Write to support@acme-analytics.com if the Slack Integration stops.",
    ],
)
def test_answers_made_of_what_the_prompt_gave_pass(guard: OutputGuard, text: str) -> None:
    guard.check(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Write to jane.roe@contoso.example for help with loads.", "pii_leak"),
        ("Call +1 415 555 0134 and ask for the data team.", "pii_leak"),
        ("Ask Ifeoma Okafor, she set the monitor up last year.", "pii_leak"),
        ("Open feat-ai-copilot and it fixes late loads for you.", "unknown_item"),
        ("The Ad Spend vs Revenue Report shows this every week.", "unknown_name"),
    ],
)
def test_what_the_prompt_never_held_fails(guard: OutputGuard, text: str, reason: str) -> None:
    with pytest.raises(GuardFailure) as err:
        guard.check(text)
    assert err.value.reason == reason

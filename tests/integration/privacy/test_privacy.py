"""No planted PII reaches any model; the user's own values come back to them."""

import json

from personify.agent.testing import ScriptedChatModel
from personify.service import Personify

PII = {
    "name": "Harriet Quarmby",
    "email": "harriet.quarmby@example.org",
    "phone": "+1 212 555 0187",
    "card": "4539 1488 0343 6467",
    "address": "1600 Larkspur Avenue",
    "other name": "Theodore Vance",
    "other email": "t.vance@example.net",
}


def test_no_planted_pii_reaches_the_model(demo: Personify, scripted: ScriptedChatModel) -> None:
    demo.put_traits(
        "harriet",
        {
            "name": PII["name"],
            "email": PII["email"],
            "role": "Finance director",
            "interests": ["budget reports"],
            "about": f"Call me on {PII['phone']}; invoices go to {PII['address']}.",
        },
    )
    scripted.enqueue(
        json.dumps(
            {
                "message": "Hello <PERSON_1>, welcome! We will reach you at <EMAIL_ADDRESS_1> soon.",
                "items": [{"item_id": "tpl-budget-actuals", "reason": "Budgets."}],
            }
        ),
        "Use [[tpl-budget-actuals]] to compare spend with plan, <PERSON_1>.",
        "Try [[int-quickbooks]] next.",
    )
    plan = demo.onboard("harriet", goal=f"Pay with card {PII['card']} and cc {PII['other email']}")
    turn = demo.chat(
        "harriet", "s1", f"I am {PII['name']}; my colleague {PII['other name']} wants budgets."
    )
    demo.chat("harriet", "s1", f"Email {PII['email']} the report, card {PII['card']}.")

    sent = "\n".join(str(m.content) for call in scripted.history for m in call)
    assert len(scripted.history) == 3
    for label, value in PII.items():
        assert value not in sent, f"{label} reached the model"
    assert "<PERSON_1>" in sent and "<EMAIL_ADDRESS_1>" in sent
    # The user sees their own values restored.
    assert plan.provenance.fallback is None
    assert PII["name"] in plan.message and PII["email"] in plan.message
    assert PII["name"] in turn.message
    assert plan.provenance.redacted.get("PERSON", 0) >= 1
    # Conversations are stored redacted.
    stored = " ".join(t.text for t in demo.store.users.recent_turns("harriet", "s1"))
    assert PII["name"] not in stored and PII["card"] not in stored


def test_the_same_value_keeps_its_placeholder_across_turns(
    demo: Personify, scripted: ScriptedChatModel
) -> None:
    scripted.enqueue("Sure, [[feat-funnels]] fits.", "Yes, [[feat-funnels]] again.")
    demo.chat("marco", "p", "My boss Ingrid Halvorsen asked about funnels.")
    demo.chat("marco", "p", "Ingrid Halvorsen liked it.")
    first, second = (str(call[-1].content) for call in scripted.history)
    placeholder = first.split("My boss ")[1].split(" asked")[0]
    assert placeholder.startswith("<PERSON_") and placeholder in second


def test_catalog_names_are_not_mistaken_for_people(
    demo: Personify, scripted: ScriptedChatModel
) -> None:
    scripted.enqueue("Use [[int-zendesk]] for that.")
    demo.chat("sam", "z", "Does Zendesk work with Slack?")
    assert "Does Zendesk work with Slack?" in str(scripted.history[-1][-1].content)

import json

import pytest

from personify.agent.guards import (
    GuardFailure,
    check_interests,
    check_text,
    interest_terms,
    onboarding_schema,
    parse_chat,
    parse_onboarding,
)
from personify.domain import Candidate, Item
from personify.privacy.vault import Vault


def candidate(item_id: str, title: str, tags: list[str] | None = None) -> Candidate:
    item = Item(id=item_id, title=title, category="feature", tags=tags or [])
    return Candidate(item=item, score=1.0, sources=("vector",), reasons=("fits",))


CANDIDATES = [candidate("a", "Alerts", ["monitoring"]), candidate("b", "Billing", ["finance"])]
GOOD = "Welcome aboard! These two will get your team going quickly this week."


def reply(message: str, *ids: str) -> str:
    return json.dumps({"message": message, "items": [{"item_id": i, "reason": "r"} for i in ids]})


def test_a_valid_answer_is_accepted() -> None:
    message, choices = parse_onboarding(reply(GOOD, "a", "b", "a"), CANDIDATES, Vault())
    assert message == GOOD
    assert [c.item_id for c in choices] == ["a", "b"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (reply(GOOD, "zzz"), "unknown_item"),
        (reply(GOOD), "invalid_output"),
        ("Sure! Try the alerts feature.", "invalid_output"),
        ('{"message": ', "invalid_output"),
        (reply("ok", "a"), "degenerate"),
        (reply("great tool great tool great tool great tool great tool", "a"), "repetition"),
        (reply("Hello <PERSON_3>, welcome to your new workspace today!", "a"), "placeholder_leak"),
        (
            reply("Hello <EMAIL_ADDRESS, welcome to your new workspace today!", "a"),
            "placeholder_leak",
        ),
        (reply("See https://example.com for all the details you need.", "a"), "link"),
        (reply("The tool you need is called [tool_name], and it is great.", "a"), "degenerate"),
        (reply("Your Candidate 1 is the best one for the goal you set.", "a"), "degenerate"),
    ],
)
def test_bad_answers_fail_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(GuardFailure) as err:
        parse_onboarding(text, CANDIDATES, Vault())
    assert err.value.reason == reason


def test_only_the_vaults_own_placeholders_are_allowed() -> None:
    vault = Vault()
    placeholder = vault.placeholder_for("PERSON", "Ada Lovelace")
    check_text(f"Welcome {placeholder}, glad to have you on the team today.", vault)
    for foreign in ("<PERSON_2>", "<EMAIL_ADDRESS_1>", "<PERSON_"):
        with pytest.raises(GuardFailure) as err:
            check_text(f"Welcome {foreign}, glad to have you on the team today.", vault)
        assert err.value.reason == "placeholder_leak"


def test_choices_must_respect_stated_interests_when_some_candidate_does() -> None:
    terms = interest_terms(["monitoring"], [])
    b_only = parse_onboarding(reply(GOOD, "b"), CANDIDATES, Vault())[1]
    with pytest.raises(GuardFailure, match="off_interest"):
        check_interests(b_only, CANDIDATES, terms)
    a_too = parse_onboarding(reply(GOOD, "b", "a"), CANDIDATES, Vault())[1]
    check_interests(a_too, CANDIDATES, terms)


def test_chat_answers_in_json_or_plain_text() -> None:
    raw = json.dumps({"message": "Try [[a]] today.", "items": ["a", "nope"]})
    assert parse_chat(raw, {"a", "b"}) == ("Try [[a]] today.", ["a"])
    assert parse_chat("Plain text, see [[b]].", {"a", "b"}) == ("Plain text, see [[b]].", [])
    with pytest.raises(GuardFailure):
        parse_chat('{"message": "cut off', {"a"})


def test_the_onboarding_grammar_opens_the_message_with_a_welcome_to_the_product() -> None:
    import re

    from llama_cpp.llama_grammar import LlamaGrammar, json_schema_to_gbnf

    for product in ("Acme Analytics", "Shop (UK) v2.0+", 'The "Beta" Store'):
        schema = onboarding_schema(["a", "b"], 2, product)
        pattern = schema["properties"]["message"]["pattern"]
        assert re.fullmatch(pattern, f"Welcome to {product}! Start with the basics.")
        assert not re.fullmatch(pattern, "You have a list of items.")
        # llama.cpp compiles it into the grammar that constrains the local model
        LlamaGrammar.from_string(json_schema_to_gbnf(json.dumps(schema)), verbose=False)

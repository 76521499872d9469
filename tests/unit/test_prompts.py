import pytest
from langchain_core.messages import AIMessage, HumanMessage

from personify.errors import ConfigError
from personify.prompts import count_tokens, load_template, trim_to_budget
from personify.prompts.templates import available_templates

VALUES = {
    "onboarding": {
        "product": "P",
        "voice": "warm",
        "profile": "role: x",
        "goal": "g",
        "candidates": "a | A",
        "count": 3,
    },
    "chat": {
        "product": "P",
        "voice": "warm",
        "profile": "role: x",
        "candidates": "a | A",
        "example_id": "a",
        "message": "hi",
    },
}


def test_every_template_renders_with_its_variables() -> None:
    names = available_templates()
    assert {"onboarding.v2", "chat.v2"} <= set(names)
    for name in names:
        base, version = name.split(".")
        template = load_template(base, version)
        if base == "elicit":  # questions the agent asks itself, not a model prompt
            assert {"role", "goal", "interests"} <= set(template.extra)
            assert all(q.format(product="P").strip() for q in template.extra.values())
            continue
        messages = template.render(**VALUES[base])
        assert messages[0].type == "system" and messages[-1].type == "human"
        assert "{" not in str(messages[-1].content).replace("{{", "")


def test_a_missing_variable_is_an_error_not_a_blank() -> None:
    with pytest.raises(ConfigError, match="goal"):
        load_template("onboarding").render(
            product="P", voice="warm", profile="", candidates="", count=3
        )


def test_an_unknown_template_is_an_error() -> None:
    with pytest.raises(ConfigError):
        load_template("nope")


def test_trimming_drops_history_then_candidates_to_fit() -> None:
    template = load_template("chat")
    candidates = [f"item-{i} | A long title for item number {i} with words" for i in range(40)]
    history = [HumanMessage("question " * 50), AIMessage("answer " * 50)] * 3

    def build(shown: list[str], past: list) -> list:
        return template.render(
            history=past,
            product="P",
            voice="warm",
            profile="p",
            candidates="\n".join(shown),
            example_id="x",
            message="hi",
        )

    full = count_tokens(build(candidates, history))
    messages, shown = trim_to_budget(build, candidates, history, budget=400)
    assert full > 400 >= count_tokens(messages)
    assert 3 <= len(shown) < 40
    assert shown == candidates[: len(shown)]  # lowest-ranked dropped first
    assert not any(m.type == "ai" for m in messages)

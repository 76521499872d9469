"""The scripted fake chat model: an unscripted call fails the test loudly."""

import pytest
from langchain_core.messages import HumanMessage

from personify.agent.testing import ScriptedChatModel, ScriptExhausted
from personify.errors import PersonifyError

MESSAGES = [HumanMessage("hello")]


def test_replies_come_in_order_and_calls_are_recorded() -> None:
    model = ScriptedChatModel().enqueue("one", lambda messages: f"{len(messages)} message")
    assert model.complete(MESSAGES).text == "one"
    assert "".join(model.stream(MESSAGES, json_schema={"type": "object"})) == "1 message"
    assert model.history == [MESSAGES, MESSAGES]
    assert model.schemas == [None, {"type": "object"}]


def test_a_call_past_the_script_raises_script_exhausted() -> None:
    model = ScriptedChatModel().enqueue("only one")
    model.complete(MESSAGES)
    with pytest.raises(ScriptExhausted) as err:
        model.complete(MESSAGES)
    assert not isinstance(err.value, PersonifyError)  # the agent cannot swallow it
    assert "called 2 times but only 1 replies were enqueued" in str(err.value)
    assert "enqueue()" in str(err.value)
    with pytest.raises(ScriptExhausted):
        list(ScriptedChatModel().stream(MESSAGES))


def test_a_default_answers_forever_once_the_script_is_spent() -> None:
    model = ScriptedChatModel(default="again").enqueue("first")
    assert [model.complete(MESSAGES).text for _ in range(3)] == ["first", "again", "again"]


def test_an_enqueued_exception_is_raised() -> None:
    model = ScriptedChatModel().enqueue(RuntimeError("down"))
    with pytest.raises(RuntimeError, match="down"):
        model.complete(MESSAGES)

"""What the deterministic fallback tells the demo's personas when the model is down: a
welcome to the product that says why the first item comes first, and reasons about
their own interests and history rather than stock phrases."""

from __future__ import annotations

import pytest

from personify.agent.reasons import is_stock
from personify.agent.testing import ScriptedChatModel
from personify.errors import ProviderError
from personify.service import Personify


@pytest.fixture
def down(demo: Personify, scripted: ScriptedChatModel) -> Personify:
    scripted.default = ProviderError("the model is down")
    return demo


def test_the_welcome_names_the_product_and_the_users_interest(down: Personify) -> None:
    plan = down.onboard("sam")
    assert plan.provenance.fallback == "model_error"
    product = down.settings.product_name
    assert plan.message.startswith(f"Welcome to {product}, Sam Okafor! For your interest in ")
    first = plan.items[0].title
    assert f"start with {first}: " in plan.message
    assert not any(is_stock(i.reason) for i in plan.items)


def test_a_warm_users_reasons_name_their_interests_or_their_own_items(down: Personify) -> None:
    plan = down.onboard("dana")
    reasons = [i.reason for i in plan.items]
    assert not any(is_stock(r) for r in reasons)
    assert any(r.startswith(("For your interest in ", "Like ")) for r in reasons), reasons


def test_a_chat_answer_leads_with_the_items_own_words(down: Personify) -> None:
    turn = down.chat("dana", "s1", "How do I find out when a nightly load is late?")
    assert turn.cards[0].item_id == "tpl-data-quality"
    assert turn.message.startswith(
        "Try Data Quality Monitor (template): alerts when a load is late"
    )
    assert not any(is_stock(c.reason) for c in turn.cards)

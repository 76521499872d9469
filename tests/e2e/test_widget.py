"""The chat widget in a real browser (Debian's chromium driven by Playwright) against the
API served on loopback: persona picker, onboarding, a streamed answer with cards, a card
click that reaches the event log, keyboard use and phone width. Leaves a screenshot in
test-artifacts/widget.png."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from personify.agent.models import ScriptedChatModel
from personify.api.app import create_app
from personify.service import Personify
from tests.servers import serve_in_thread

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def browser_page() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (make test installs it)")
    executable = chromium()
    if executable is None:
        pytest.skip("no chromium on this machine: `apt-get install chromium` (make test tries)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        yield page
        browser.close()


def test_the_widget_end_to_end(
    browser_page: object, demo: Personify, scripted: ScriptedChatModel
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    scripted.enqueue(
        "not json",  # onboarding: the deterministic plan
        "I am only a humble assistant and cannot say more, sorry about that.",  # chat: replaced
    )
    with serve_in_thread(create_app(demo)) as url:
        page.goto(url + "/")
        page.get_by_label("Persona").select_option("marco")
        launcher = page.get_by_role("button", name="Ask us")
        launcher.click()
        dialog = page.get_by_role("dialog", name="Your guide")
        expect(dialog).to_be_visible()
        expect(page.get_by_label("Your message")).to_be_focused()
        onboarding_cards = dialog.locator(".pfy-card")
        expect(onboarding_cards.first).to_be_visible(timeout=30_000)

        page.get_by_label("Your message").fill("Which report shows ad spend against revenue?")
        page.keyboard.press("Enter")
        answer = dialog.locator(".pfy-msg.pfy-bot").last
        expect(answer).not_to_have_attribute("aria-busy", "true", timeout=30_000)
        assert int(answer.get_attribute("data-chunks") or "0") > 1  # streamed in pieces
        card = dialog.locator(".pfy-cards").last.locator(".pfy-card").first
        item_id = card.get_attribute("data-item-id")
        assert item_id and demo.item(item_id).title in card.inner_text()
        card.click()
        expect(card).to_have_attribute("aria-pressed", "true")
        clicks = [e for e in demo.store.events.for_user("marco") if e.type == "card_click"]
        assert [e.item_id for e in clicks] == [item_id]
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "widget.png"), full_page=True)

        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(launcher).to_be_focused()
        page.set_viewport_size({"width": 375, "height": 700})
        launcher.click()
        box = dialog.bounding_box()
        assert box is not None and box["width"] == 375  # full screen at phone width

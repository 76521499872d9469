"""The chat widget in a real browser (Debian's chromium driven by Playwright) against the
API served on loopback: persona picker, onboarding, a streamed answer with cards, a card
click that reaches the event log, keyboard use and phone width. Leaves a screenshot in
test-artifacts/widget.png."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from personify.agent.testing import ScriptedChatModel
from personify.api.app import create_app
from personify.api.auth import user_token
from personify.demo import load_demo
from personify.parts import SharedParts
from personify.privacy.redactor import PresidioRedactor
from personify.retrieval.embeddings import MiniLMEmbedder
from personify.service import Personify
from personify.settings import load_settings
from personify.tenancy import MultiTenant
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
        # chat: two sentences stream, then the answer is found ungrounded and replaced
        "Good question. Let me look at your reports. I am only a humble assistant, sorry.",
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


def test_the_widget_with_a_publishable_key_from_another_origin(
    browser_page: object,
    tmp_path: Path,
    embedder: MiniLMEmbedder,
    redactor: PresidioRedactor,
    scripted: ScriptedChatModel,
) -> None:
    """Tenants on: a customer's page on its own origin embeds the widget with the tenant's
    publishable key and a user token from the customer's backend. The browser's CORS rules
    hold: the listed origin works end to end, any other origin gets nothing."""
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    admin = "admin-" + "k" * 30
    settings = load_settings(data_dir=tmp_path / "data", admin_key=admin)
    tenancy = MultiTenant(
        settings, SharedParts(settings, model=scripted, presidio=redactor, embedder=embedder)
    )
    scripted.default = "not json"  # deterministic answers: this test is about the browser
    shop = FastAPI()
    tag: dict[str, str] = {}

    @shop.get("/", response_class=HTMLResponse)
    def shop_page() -> str:
        attributes = " ".join(f'{k}="{v}"' for k, v in tag.items())
        return f"<!doctype html><title>Shop</title><h1>Shop</h1><script {attributes}></script>"

    with serve_in_thread(create_app(tenancy)) as api, serve_in_thread(shop) as shop_url:
        made = httpx.post(
            f"{api}/v1/tenants",
            json={"name": "shop", "origins": [shop_url]},
            headers={"Authorization": f"Bearer {admin}"},
        ).json()
        load_demo(tenancy.service(made["tenant_id"]))
        tag.update(
            {
                "src": f"{api}/widget.js",
                "data-api": api,
                "data-key": made["publishable_key"],
                "data-user-id": "marco",
                "data-user-token": user_token(made["signing_key"], "marco", time.time() + 3600),
            }
        )
        page.goto(shop_url + "/")
        page.get_by_role("button", name="Ask us").click()
        dialog = page.get_by_role("dialog", name="Your guide")
        cards = dialog.locator(".pfy-card")
        expect(cards.first).to_be_visible(timeout=30_000)  # onboarding and item reads
        page.get_by_label("Your message").fill("What should I try next?")
        page.keyboard.press("Enter")
        answer = dialog.locator(".pfy-msg.pfy-bot").last
        expect(answer).not_to_have_attribute("aria-busy", "true", timeout=30_000)
        card = cards.first
        item_id = card.get_attribute("data-item-id")
        card.click()
        expect(card).to_have_attribute("aria-pressed", "true")  # the event went through
        events = tenancy.service(made["tenant_id"]).store.events.for_user("marco")
        assert item_id in [e.item_id for e in events if e.type == "card_click"]

        # the same page from an origin the tenant did not list: refused, nothing shown
        blocked: list[str] = []  # the browser withholds the answer: a failed request
        page.on("requestfailed", lambda r: blocked.append(r.url) if "/v1/" in r.url else None)
        page.goto(shop_url.replace("127.0.0.1", "localhost") + "/")
        page.get_by_role("button", name="Ask us").click()
        page.wait_for_timeout(2000)
        assert page.get_by_role("dialog", name="Your guide").locator(".pfy-card").count() == 0
        assert any("/onboarding" in url for url in blocked)
        metrics = httpx.get(f"{api}/metrics", headers={"Authorization": f"Bearer {admin}"}).text
        refused = 'route="/v1/users/{user_id}/onboarding",status="403"'
        assert refused in metrics  # and the server refused it, not just the browser
    tenancy.close()

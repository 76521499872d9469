"""/docs and /redoc in a real browser (Debian's chromium driven by Playwright) with the
network cut off: every request that is not to loopback is aborted, and the pages still
render the API's operations from the assets this server ships. Leaves a screenshot in
test-artifacts/docs.png."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from personify.api.app import create_app
from personify.service import Personify
from tests.servers import serve_in_thread

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


@pytest.fixture
def offline_page() -> Iterator[tuple[object, list[str]]]:
    """A browser page that reaches loopback only, and the URLs it tried beyond it."""
    try:
        from playwright.sync_api import Route, sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (make test installs it)")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("no chromium on this machine: `apt-get install chromium` (make test tries)")
    blocked: list[str] = []

    def only_loopback(route: Route) -> None:
        url = route.request.url
        if urlparse(url).hostname in LOOPBACK:
            route.continue_()
        else:
            blocked.append(url)
            route.abort("internetdisconnected")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.route("**/*", only_loopback)
        yield page, blocked
        browser.close()


def test_the_docs_list_every_operation_with_no_network(
    offline_page: tuple[object, list[str]], demo: Personify
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = offline_page[0]  # type: ignore[assignment]
    blocked = offline_page[1]
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    app = create_app(demo)
    with serve_in_thread(app) as url:
        page.goto(url + "/docs")
        operations = page.locator(".opblock")
        expect(operations.first).to_be_visible(timeout=30_000)
        paths = app.openapi()["paths"]
        count = sum(len(methods) for methods in paths.values())
        expect(operations).to_have_count(count)
        for method, path in (("GET", "/v1/items"), ("DELETE", "/v1/items/{item_id}")):
            summary = page.locator(f".opblock-{method.lower()} .opblock-summary-path")
            expect(summary.filter(has_text=path).first).to_be_visible()
        expect(page.get_by_text("Personify", exact=False).first).to_be_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "docs.png"), full_page=True)

        page.goto(url + "/redoc")
        expect(page.locator("[role=menuitem]", has_text="List Items").first).to_be_visible(
            timeout=30_000
        )
        expect(page.get_by_role("heading", name="Delete Item").first).to_be_attached()
    assert blocked == []  # nothing tried to leave the machine (the CSP stops ReDoc's logo)
    assert [u for u in failed if urlparse(u).hostname in LOOPBACK] == []

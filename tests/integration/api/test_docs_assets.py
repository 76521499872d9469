"""/docs and /redoc need no network: every script, style and icon they load is served
here, from the fastapi-offline package's copies. The demo page has its favicon."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def loaded_urls(page: str) -> list[str]:
    return re.findall(r'(?:src|href)=["\']([^"\']+)["\']', page) + re.findall(
        r"url: *['\"]([^'\"]+)['\"]", page
    )


def test_docs_pages_load_only_from_this_server(client: TestClient) -> None:
    for path in ("/docs", "/redoc"):
        page = client.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "default-src 'self'" in page.headers["content-security-policy"]
        urls = loaded_urls(page.text)
        assert urls, path
        for url in urls:
            assert url.startswith("/"), (path, url)  # nothing from a CDN or Google Fonts
            assert client.get(url).status_code == 200, (path, url)


def test_docs_assets_are_served_with_their_types(client: TestClient) -> None:
    script = client.get("/docs/assets/swagger-ui-bundle.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert "SwaggerUIBundle" in script.text
    assert client.get("/docs/assets/swagger-ui.css").headers["content-type"].startswith("text/css")
    assert "Redoc" in client.get("/docs/assets/redoc.standalone.js").text
    missing = client.get("/docs/assets/../../settings.py")
    assert missing.status_code == 404
    assert client.get("/docs/assets/favicon.png").status_code == 404  # only the three


def test_the_favicon_is_served_and_linked(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert '<link rel="icon" href="/favicon.ico">' in client.get("/").text

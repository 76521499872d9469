"""The embeddable chat widget's files, the favicon, and a demo page that embeds it at `/`."""

from __future__ import annotations

import html
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from personify.demo import personas

router = APIRouter(include_in_schema=False)
STATIC = resources.files("personify.api").joinpath("static")


def _static(name: str, media_type: str) -> Response:
    body = STATIC.joinpath(name).read_text(encoding="utf-8")
    return Response(body, media_type=media_type, headers={"Cache-Control": "no-cache"})


@router.get("/widget.js")
def read_widget_script() -> Response:
    return _static("widget.js", "text/javascript; charset=utf-8")


@router.get("/widget.css")
def read_widget_styles() -> Response:
    return _static("widget.css", "text/css; charset=utf-8")


@router.get("/favicon.ico")
def read_favicon() -> Response:
    body = STATIC.joinpath("favicon.ico").read_bytes()
    return Response(body, media_type="image/x-icon", headers={"Cache-Control": "max-age=86400"})


@router.get("/", response_class=HTMLResponse)
def read_demo_page() -> HTMLResponse:
    people = personas()
    options = "".join(
        f'<option value="{html.escape(p["user_id"])}">{html.escape(p["user_id"].title())}: '
        f"{html.escape(p['traits'].get('role', ''))}</option>"
        for p in people
    )
    first = html.escape(people[0]["user_id"])
    page = STATIC.joinpath("demo.html").read_text(encoding="utf-8")
    return HTMLResponse(page.replace("{{options}}", options).replace("{{first}}", first))

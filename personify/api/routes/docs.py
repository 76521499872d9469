"""/docs (Swagger UI) and /redoc with no network: their scripts and styles are served from
the `fastapi-offline` package, which ships them, instead of FastAPI's default CDN."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from personify.errors import NotFound

router = APIRouter(include_in_schema=False)
ASSETS = "/docs/assets"
MEDIA_TYPES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
}
FAVICON = "/favicon.ico"
# The pages may load nothing from elsewhere: ReDoc's bundle links its vendor's logo from a
# CDN, which the browser now never asks for (the image hides itself when it cannot load).
SAME_ORIGIN_ONLY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",  # the pages' own inline set-up scripts
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "worker-src 'self' blob:",  # ReDoc's search runs in a worker made from a blob
    )
)


def _same_origin_only(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = SAME_ORIGIN_ONLY
    return page


def _root(request: Request) -> str:
    """The path prefix a proxy serves the app under (`--root-path`), if any."""
    return str(request.scope.get("root_path", "")).rstrip("/")


@router.get("/docs")
def read_swagger_ui(request: Request) -> HTMLResponse:
    root = _root(request)
    page = get_swagger_ui_html(
        openapi_url=root + (request.app.openapi_url or "/openapi.json"),
        title=f"{request.app.title} API",
        swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
        swagger_favicon_url=root + FAVICON,
    )
    return _same_origin_only(page)


@router.get("/redoc")
def read_redoc(request: Request) -> HTMLResponse:
    root = _root(request)
    page = get_redoc_html(
        openapi_url=root + (request.app.openapi_url or "/openapi.json"),
        title=f"{request.app.title} API",
        redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js",
        redoc_favicon_url=root + FAVICON,
        with_google_fonts=False,
    )
    return _same_origin_only(page)


@router.get(ASSETS + "/{name}")
def read_docs_asset(name: str) -> FileResponse:
    if name not in MEDIA_TYPES:
        raise NotFound(f"No docs asset {name!r}.", field="name")
    path = Path(str(resources.files("fastapi_offline").joinpath("static", name)))
    return FileResponse(
        path, media_type=MEDIA_TYPES[name], headers={"Cache-Control": "public, max-age=86400"}
    )

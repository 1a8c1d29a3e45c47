"""`/docs` (Swagger UI) and `/redoc` served with their assets from an installed package
(fastapi-offline ships them), so the API's documentation works on air-gapped sites."""

from __future__ import annotations

import functools
from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"  # under /docs/: public, like the pages (auth.py)


def add_docs_routes(app: FastAPI) -> None:
    app.mount(ASSETS, StaticFiles(directory=str(files("fastapi_offline") / "static")), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=openapi_url, title=f"{app.title} - API",
                                   swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{ASSETS}/favicon.png")

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=openapi_url, title=f"{app.title} - API",
                              redoc_js_url=REDOC_JS, redoc_favicon_url=f"{ASSETS}/favicon.png",
                              with_google_fonts=False)

    @app.get(REDOC_JS, include_in_schema=False)
    async def redoc_js() -> Response:
        return Response(_redoc_offline(), media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})


REDOC_JS = "/docs/redoc.offline.js"  # under /docs/: public (auth.py)
_REMOTE_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"


@functools.cache
def _redoc_offline() -> bytes:
    """ReDoc's bundle, its one remote image (the footer's logo) pointed at the local favicon."""
    source = (files("fastapi_offline") / "static" / "redoc.standalone.js").read_bytes()
    return source.replace(_REMOTE_LOGO, f"{ASSETS}/favicon.png".encode())

"""Swagger UI from the installed ``swagger-ui-bundle`` package: no CDN script runs on the app's
origin, the version is the one pinned in pyproject.toml, and the page has no inline script (so the
strict Content-Security-Policy of :mod:`retrowalk.api.hardening` holds here too)."""

from __future__ import annotations

import json

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS = "/api/v1/docs/assets"


def install(app: FastAPI, *, docs_url: str, openapi_url: str) -> None:
    import swagger_ui_bundle

    app.mount(ASSETS, StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger-assets")
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>retrowalk API</title>"
        f"<link rel='stylesheet' href='{ASSETS}/swagger-ui.css'></head><body><div id='swagger-ui'></div>"
        f"<script src='{ASSETS}/swagger-ui-bundle.js'></script>"
        f"<script src='{docs_url}/init.js'></script></body></html>"
    )
    init = (
        "window.ui = SwaggerUIBundle({url: "
        + json.dumps(openapi_url)
        + ", dom_id: '#swagger-ui', deepLinking: true, presets: [SwaggerUIBundle.presets.apis]});\n"
    )

    # Plain Starlette routes: documentation, not API operations (no auth rule, not in the schema).
    async def swagger_page(_request: Request) -> HTMLResponse:
        return HTMLResponse(page)

    async def swagger_init(_request: Request) -> Response:
        return Response(init, media_type="text/javascript")

    app.add_route(docs_url, swagger_page, methods=["GET"], include_in_schema=False)
    app.add_route(f"{docs_url}/init.js", swagger_init, methods=["GET"], include_in_schema=False)

"""The service worker and the web app manifest, served from the site root.

A service worker controls only pages under the path it is served from, so ``/sw.js`` (not
``/static/...``) lets it keep the client's log page for opening offline.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import Response

router = APIRouter(include_in_schema=False)
_CAPTURE = resources.files("retrowalk.web") / "static" / "capture"


@router.get("/sw.js")
def service_worker() -> Response:
    return Response(
        (_CAPTURE / "sw.js").read_bytes(),
        media_type="text/javascript",
        # Browsers re-check a worker at most daily anyway; no-cache makes an update reach phones at once.
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


@router.get("/manifest.webmanifest")
def manifest() -> Response:
    return Response(
        (_CAPTURE / "manifest.json").read_bytes(),
        media_type="application/manifest+json",
        headers={"Cache-Control": "no-cache"},
    )

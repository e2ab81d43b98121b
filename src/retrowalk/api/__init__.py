"""REST API (edge): FastAPI app under /api/v1; see :func:`retrowalk.api.app.create_app`."""

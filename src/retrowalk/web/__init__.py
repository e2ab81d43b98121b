"""Server-rendered web pages (Jinja2), mounted into the FastAPI app beside ``/api/v1``."""

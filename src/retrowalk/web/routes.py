"""HTML pages. The API app includes ``router``; the web work fills it."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)

"""Use cases shared by the REST API and the HTML pages (no HTTP types in their signatures)."""

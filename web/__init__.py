"""Everything HTTP: one Starlette app on uvicorn for `serve`, `daemon --port` and `demo` — the pages,
the published feeds and media, snapshots that replay from the archive, /health, OPML."""

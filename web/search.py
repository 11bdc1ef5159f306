"""Search answers as the command line and the HTTP API give them: stories, best first, each with its
best post's snippet and highlights and every copy (crawler/index/search.py finds them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crawler.content.dates import parse_date
from crawler.content.search import QueryError, parse_query, snippet
from crawler.index import SqlIndexStore
from crawler.index.search import Filters

MAX_LIMIT = 100


def found(store: SqlIndexStore, query_text: str, filters: Filters, limit: int = 20) -> list[dict[str, Any]]:
    """The stories matching; raises QueryError for a query that cannot be searched."""
    query = parse_query(query_text)
    hits = store.search(query, filters, limit=max(1, min(limit, MAX_LIMIT)))
    stories = {s.id: s for s in store.load_stories([h.story_id for h in hits])}
    results = []
    for hit in hits:
        story = stories.get(hit.story_id)
        if story is None:  # merged away since the search ran
            continue
        best = next((p for p in story.posts if p.id == hit.post_id), story.representative)
        text, marks = snippet(best.text, query.words)
        results.append({
            "story": story.key, "title": best.title, "score": round(hit.score, 4),
            "published": hit.when.isoformat() if hit.when else None, "snippet": text, "highlights": marks,
            "copies": [{"source": u.source, "url": u.url, "role": u.role, "title": p.title}
                       for p in story.posts for u in p.urls],
        })
    return results


def filters_from(params: Mapping[str, str | list[str]], timezone: str = "Asia/Shanghai") -> Filters:
    """The filters of a query string or command line (source may repeat); raises QueryError."""
    def one(name: str) -> str | None:
        value = params.get(name)
        return (value[-1] if isinstance(value, list) else value) or None if value else None

    def when(name: str) -> Any:
        value = one(name)
        if value is None:
            return None
        parsed = parse_date(value, timezone)
        if parsed is None:
            raise QueryError(f"{name}: not a date: {value!r} (e.g. 2026-11-20 or 2026-11-20 08:00)")
        return parsed

    raw = params.get("source") or []
    sources = tuple(raw if isinstance(raw, list) else [raw])
    return Filters(sources=tuple(s for s in sources if s), category=one("category"), since=when("since"),
                   until=when("until"))


def api(store: SqlIndexStore, params: Mapping[str, str | list[str]]) -> tuple[int, dict[str, Any]]:
    """GET /api/search?q=…&source=…&category=…&since=…&until=…&limit=…: (HTTP status, JSON document)."""
    try:
        q = params.get("q") or ""
        query_text = q[-1] if isinstance(q, list) else q
        limit_text = params.get("limit") or "20"
        limit_value = limit_text[-1] if isinstance(limit_text, list) else limit_text
        if not limit_value.isdigit():
            raise QueryError(f"limit must be a whole number, not {limit_value!r}")
        results = found(store, query_text, filters_from(params), int(limit_value))
    except QueryError as exc:
        return 400, {"error": str(exc)}
    return 200, {"query": query_text, "results": results}

"""The full-text search index over every post's title, text, author and 来源, on SQLite and PostgreSQL.

Both back-ends index the tokens crawler/content/search.py makes (CJK bigrams and characters, words),
never their own tokenizers' idea of Chinese:

- SQLite: an FTS5 table over an external-content table ``search_docs`` (one row per post: the main and
  chars token streams of its title and of its body — text, author and 来源), ranked by bm25 with the
  title weighted up. FTS5's ``unicode61`` tokenizer only splits our space-separated tokens again.
- PostgreSQL: ``search_docs.tsv``, a ``tsvector`` written as a literal (so no text-search parser or
  locale touches a token: weights A/B for the title's and body's main stream, C/D for their chars),
  with a GIN index, ranked by ts_rank.

A post is (re)indexed inside its upsert's transaction whenever what it shows changed; `feedarchiver
search --reindex` rebuilds everything; migration 0002 made the tables and filled them. A query
answers stories: the best-ranked post of each story
stands for it, ties broken by recency.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from crawler.content.search import Query, Term, tokenize

# Relevance weights of the title's and the body's tokens (FTS5 bm25 column weights; ts_rank's D, C, B, A).
TITLE_WEIGHT, BODY_WEIGHT = 8.0, 1.0
PG_WEIGHTS = "{0.05, 0.4, 0.1, 1.0}"  # D body chars, C title chars, B body, A title

SQLITE_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS search_docs (post_id INTEGER PRIMARY KEY, title TEXT NOT NULL, "
    "title_chars TEXT NOT NULL, body TEXT NOT NULL, body_chars TEXT NOT NULL)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(title, title_chars, body, body_chars, "
    "content='search_docs', content_rowid='post_id', tokenize='unicode61 remove_diacritics 0')",
)
POSTGRES_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS search_docs (post_id INTEGER PRIMARY KEY, tsv tsvector NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_search_docs_tsv ON search_docs USING gin (tsv)",
)
PG_MAX_POSITION = 16383  # tsvector positions stop there


def create(conn: Connection) -> None:
    for statement in SQLITE_SCHEMA if conn.dialect.name == "sqlite" else POSTGRES_SCHEMA:
        conn.execute(text(statement))


def drop(conn: Connection) -> None:
    conn.execute(text("DROP TABLE IF EXISTS search_fts" if conn.dialect.name == "sqlite" else "SELECT 1"))
    conn.execute(text("DROP TABLE IF EXISTS search_docs"))


# Tables of the search index, besides schema.py's: FTS5 keeps its own shadow tables (search_fts_*).
TABLES = ("search_docs", "search_fts")


def _streams(title: str, body_parts: list[str | None]) -> tuple[str, str, str, str]:
    t = tokenize(title)
    b = tokenize("\n".join(p for p in body_parts if p))
    return (*t.joined(), *b.joined())


def _pg_literal(tokens: str, weight: str, start: int) -> tuple[list[str], int]:
    lexemes = []
    position = start
    for token in tokens.split():
        position += 1
        lexemes.append(f"'{token}':{min(position, PG_MAX_POSITION)}{weight}")
    return lexemes, position


def index_post(conn: Connection, post_id: int) -> None:
    """(Re)index one post from its stored row, in the caller's transaction."""
    row = conn.execute(text("SELECT title, text, author, source_name FROM posts WHERE id = :id"),
                       {"id": post_id}).first()
    unindex_post(conn, post_id)
    if row is None:
        return
    title, title_chars, body, body_chars = _streams(row.title or "", [row.text, row.author, row.source_name])
    if conn.dialect.name == "sqlite":
        values = {"id": post_id, "t": title, "tc": title_chars, "b": body, "bc": body_chars}
        conn.execute(text("INSERT INTO search_docs (post_id, title, title_chars, body, body_chars) "
                          "VALUES (:id, :t, :tc, :b, :bc)"), values)
        conn.execute(text("INSERT INTO search_fts (rowid, title, title_chars, body, body_chars) "
                          "VALUES (:id, :t, :tc, :b, :bc)"), values)
        return
    lexemes: list[str] = []
    position = 0
    # One position sequence across the fields, a gap between them: a phrase never spans two fields.
    for tokens, weight in ((title, "A"), (body, "B"), (title_chars, "C"), (body_chars, "D")):
        found, position = _pg_literal(tokens, weight, position)
        lexemes += found
        position += 1
    conn.execute(text("INSERT INTO search_docs (post_id, tsv) VALUES (:id, CAST(:tsv AS tsvector))"),
                 {"id": post_id, "tsv": " ".join(lexemes)})


def unindex_post(conn: Connection, post_id: int) -> None:
    if conn.dialect.name == "sqlite":
        old = conn.execute(text("SELECT title, title_chars, body, body_chars FROM search_docs WHERE post_id = :id"),
                           {"id": post_id}).first()
        if old is not None:
            # An external-content FTS5 table forgets a row when told what it held.
            conn.execute(text("INSERT INTO search_fts (search_fts, rowid, title, title_chars, body, body_chars) "
                              "VALUES ('delete', :id, :t, :tc, :b, :bc)"),
                         {"id": post_id, "t": old.title, "tc": old.title_chars, "b": old.body, "bc": old.body_chars})
    conn.execute(text("DELETE FROM search_docs WHERE post_id = :id"), {"id": post_id})


def reindex(conn: Connection, batch: int = 1000) -> int:
    """Index every post again (after an upgrade, or to repair the index)."""
    if conn.dialect.name == "sqlite":
        conn.execute(text("DELETE FROM search_docs"))
        conn.execute(text("INSERT INTO search_fts (search_fts) VALUES ('delete-all')"))
    else:
        conn.execute(text("DELETE FROM search_docs"))
    done, last = 0, 0
    while True:
        ids = list(conn.execute(text("SELECT id FROM posts WHERE id > :last ORDER BY id LIMIT :n"),
                                {"last": last, "n": batch}).scalars())
        if not ids:
            return done
        for post_id in ids:
            index_post(conn, post_id)
        done, last = done + len(ids), ids[-1]


# -- queries ---------------------------------------------------------------------------------------


def _fts_term(term: Term) -> str:
    columns = ("title_chars" if term.title_only else "{title_chars body_chars}") if term.char else (
        "title" if term.title_only else "{title body}")
    return f'{columns} : "{" ".join(term.tokens)}"'  # tokens are letters and digits only: nothing to escape


def fts_expression(query: Query) -> str:
    positive = " AND ".join("(" + " OR ".join(_fts_term(t) for t in clause) + ")" for clause in query.clauses)
    return positive + "".join(f" NOT {_fts_term(t)}" for t in query.excluded)


def _ts_term(term: Term) -> str:
    weights = ("C" if term.title_only else "CD") if term.char else ("A" if term.title_only else "AB")
    return "(" + " <-> ".join(f"'{token}':{weights}" for token in term.tokens) + ")"


def ts_expression(query: Query) -> str:
    positive = " & ".join("(" + " | ".join(_ts_term(t) for t in clause) + ")" for clause in query.clauses)
    return positive + "".join(f" & !{_ts_term(t)}" for t in query.excluded)


@dataclass(frozen=True)
class Filters:
    sources: tuple[str, ...] = ()
    category: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Hit:
    """One story found: the post that matched best stands for it."""

    story_id: int
    post_id: int
    score: float  # higher is better
    when: datetime | None


@dataclass
class _Where:
    clauses: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)


def _filters(filters: Filters, sqlite: bool) -> _Where:
    where = _Where()
    if filters.sources:
        names = {f"src{i}": name for i, name in enumerate(filters.sources)}
        where.clauses.append("p.id IN (SELECT post_id FROM post_urls WHERE source IN ("
                             + ", ".join(f":{k}" for k in names) + "))")
        where.params.update(names)
    if filters.category:
        # categories is a JSON list of strings; its members as json.dumps wrote them.
        where.clauses.append("p.categories LIKE :category ESCAPE '\\'")
        escaped = json.dumps(filters.category, ensure_ascii=True).replace("\\", "\\\\")
        where.params["category"] = "%" + escaped.replace("%", "\\%").replace("_", "\\_") + "%"
    when = "COALESCE(p.published, p.first_seen)"
    for name, op, value in (("since", ">=", filters.since), ("until", "<", filters.until)):
        if value is not None:
            where.clauses.append(f"{when} {op} :{name}")
            where.params[name] = value.replace(tzinfo=None) if sqlite else value
    return where


# The best-ranked posts looked at first, per story wanted: a common word matches most of the archive, and
# only its best matches can be the answer (unless filters or copies of one story thin them out).
CANDIDATES_PER_HIT = 10


def search(conn: Connection, query: Query, filters: Filters, limit: int) -> list[Hit]:
    """The stories matching, best first (then newest)."""
    sqlite = conn.dialect.name == "sqlite"
    filters = Filters(sources=filters.sources + tuple(query.sources), category=filters.category,
                      since=filters.since, until=filters.until)
    where = _filters(filters, sqlite)
    cap = max(200, limit * CANDIDATES_PER_HIT)
    hits, complete = _search(conn, query, where, limit, cap, sqlite)
    if len(hits) < limit and not complete:
        hits, _ = _search(conn, query, where, limit, None, sqlite)
    return hits


def _search(conn: Connection, query: Query, where: _Where, limit: int, cap: int | None,
            sqlite: bool) -> tuple[list[Hit], bool]:
    """One pass over the ``cap`` best matches (all of them when None); also whether that was all."""
    extra = "".join(f" AND {c}" for c in where.clauses)
    capped = "" if cap is None else " ORDER BY score DESC LIMIT :cap"
    if sqlite:
        # FTS5 orders by its rank column cheaply; rank is bm25 with these weights (configured per query).
        matched = ("SELECT rowid AS post_id, -bm25(search_fts, :tw, :tw, :bw, :bw) AS score "
                   "FROM search_fts WHERE search_fts MATCH :q" + capped)
        params: dict[str, Any] = {"q": fts_expression(query), "tw": TITLE_WEIGHT, "bw": BODY_WEIGHT}
    else:
        matched = ("SELECT post_id, ts_rank(CAST(:weights AS real[]), tsv, q) AS score "
                   "FROM search_docs, CAST(:q AS tsquery) AS q WHERE tsv @@ q" + capped)
        params = {"q": ts_expression(query), "weights": PG_WEIGHTS}
    if cap is not None:
        params["cap"] = cap
    statement = f"""
        WITH matched AS ({matched}),
        ranked AS (
            SELECT p.story_id, m.post_id, m.score, COALESCE(p.published, p.first_seen) AS happened,
                   ROW_NUMBER() OVER (PARTITION BY p.story_id
                                      ORDER BY m.score DESC, COALESCE(p.published, p.first_seen) DESC) AS place
            FROM matched m JOIN posts p ON p.id = m.post_id
            WHERE p.story_id IS NOT NULL{extra}),
        counted AS (SELECT COUNT(*) AS n FROM matched)
        SELECT story_id, post_id, score, happened, (SELECT n FROM counted) AS candidates
        FROM ranked WHERE place = 1
        ORDER BY score DESC, happened DESC, story_id DESC LIMIT :limit"""
    rows = conn.execute(text(statement), {**params, **where.params, "limit": limit}).all()
    complete = cap is None or (bool(rows) and rows[0].candidates < cap)
    return [Hit(story_id=r.story_id, post_id=r.post_id, score=float(r.score), when=_aware(r.happened))
            for r in rows], complete


def _aware(value: Any) -> datetime | None:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        from datetime import UTC

        return value.replace(tzinfo=UTC)
    return value if isinstance(value, datetime) else None

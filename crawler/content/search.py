"""Search text and queries, tokenized once in Python for both index back-ends.

Chinese has no spaces, and neither SQLite's FTS5 tokenizers nor PostgreSQL's ``simple`` configuration
cut it into words (FTS5's ``trigram`` cannot match queries under three characters). So text is
tokenized here, and the back-ends index the tokens as they are (space-separated):

- every text is NFKC-folded and case-folded (full-width Ｅｎｇｌｉｓｈ and ASCII alike);
- a run of Latin letters and digits is one word token;
- a run of CJK characters gives its overlapping character bigrams, in order, in the *main* stream
  (a lone character gives itself), and each character once in the *chars* stream.

A query term of two or more CJK characters is the phrase of its bigrams in the main stream (``产教融合``
→ ``"产教 教融 融合"``); a single character is looked up in the chars stream. Phrases (``"…"``), ``AND``
(implicit), ``OR``, ``-exclude`` and the field prefix ``title:`` are parsed here into a small tree that
each back-end renders in its own syntax (crawler/index/search.py), so both answer the same.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from crawler.errors import FeedArchiverError

MAX_QUERY_CHARS = 500  # past this a query is refused: nobody types it, and each term costs a lookup
MAX_TERMS = 32

# CJK ideographs (with extensions and compatibility forms), kana and hangul: scripts written without spaces.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+", re.UNICODE)
_IS_CJK = re.compile(rf"[{_CJK}]")


class QueryError(FeedArchiverError, ValueError):
    """A query that cannot be answered; the message says why, for the user."""


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass(frozen=True)
class Tokens:
    main: list[str]  # words and CJK bigrams (lone CJK characters), in text order: phrases match here
    chars: list[str]  # every CJK character once per occurrence: one-character queries match here

    def joined(self) -> tuple[str, str]:
        return " ".join(self.main), " ".join(self.chars)


def tokenize(text: str) -> Tokens:
    main: list[str] = []
    chars: list[str] = []
    for run in _TOKEN.findall(fold(text)):
        if _IS_CJK.match(run):
            chars.extend(run)
            main.extend([run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)])
        else:
            main.append(run)
    return Tokens(main, chars)


# -- queries ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """Something to find: a phrase of main-stream tokens, or one CJK character (``char``)."""

    tokens: tuple[str, ...]
    char: bool = False
    title_only: bool = False
    text: str = ""  # as the user wrote it (snippets look for it)


@dataclass(frozen=True)
class Query:
    """Clauses all of which must match (AND); each clause is terms any of which may match (OR)."""

    clauses: list[list[Term]] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # ``source:NAME`` filters

    @property
    def words(self) -> list[str]:
        """What a snippet highlights: every positive term as written."""
        return [t.text for clause in self.clauses for t in clause if t.text]


_QUERY_PART = re.compile(r'(-?)(?:(\w+):)?("([^"]*)"?|\S+)')


def _terms(text: str, *, title_only: bool) -> list[Term]:
    """The terms of one query word or phrase: CJK runs and words, each a term; a phrase is one term."""
    tokens = tokenize(text)
    if not tokens.main:
        return []
    if len(tokens.main) == 1 and len(tokens.chars) == 1 and tokens.main == tokens.chars:
        return [Term((tokens.chars[0],), char=True, title_only=title_only, text=text)]
    return [Term(tuple(tokens.main), title_only=title_only, text=text)]


def parse_query(text: str) -> Query:
    """``title:芯片 "产教融合" AI OR 人工智能 -广告 source:cyol``; raises QueryError for what has nothing to
    search (empty, only punctuation) or is too long."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is {len(text)} characters long; at most {MAX_QUERY_CHARS} are searched")
    query = Query()
    pending_or = False
    for match in _QUERY_PART.finditer(text.strip()):
        minus, prefix, whole, phrase = match.groups()
        value = phrase if phrase is not None else whole
        if prefix is not None and prefix.lower() == "source":
            if value.strip():
                query.sources.append(value.strip())
            continue
        if phrase is None and not minus and prefix is None and whole == "OR":
            pending_or = bool(query.clauses)
            continue
        if phrase is None and not minus and prefix is None and whole == "AND":
            continue
        title_only = prefix is not None and prefix.lower() == "title"
        if prefix is not None and not title_only:
            value = f"{prefix}:{value}"  # not a field we know: the words themselves (``http://…``)
        terms = _terms(value, title_only=title_only)
        if not terms:
            continue
        if minus:
            query.excluded.extend(terms)
        elif pending_or:
            query.clauses[-1].extend(terms)
        else:
            query.clauses.append(terms)
        pending_or = False
    if not query.clauses:
        raise QueryError("nothing to search for: give a word (excluded words and source: alone find nothing)")
    if sum(len(c) for c in query.clauses) + len(query.excluded) > MAX_TERMS:
        raise QueryError(f"too many terms; at most {MAX_TERMS}")
    return query


# -- snippets --------------------------------------------------------------------------------------


def snippet(text: str, words: list[str], width: int = 120) -> tuple[str, list[tuple[int, int]]]:
    """A window of ``text`` around the first place a query word occurs (case- and width-folded), and
    where in the window each occurrence is: (start, end) pairs, for highlighting."""
    folded = fold(text)
    if len(folded) != len(text):  # NFKC changed lengths (ligatures): search the text as it is
        folded = text.casefold()
    needles = sorted({fold(w) for w in words if w.strip()}, key=len, reverse=True)
    first = min((i for i in (folded.find(n) for n in needles) if i >= 0), default=0)
    start = max(0, first - width // 4)
    end = min(len(text), start + width)
    window = folded[start:end]
    marks: list[tuple[int, int]] = []
    for needle in needles:
        for found in re.finditer(re.escape(needle), window):
            span = found.span()
            if not any(s < span[1] and span[0] < e for s, e in marks):
                marks.append(span)
    return text[start:end], sorted(marks)

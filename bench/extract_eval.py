"""Score the article extractor on real pages: date, author, title, 来源 and body, field by field.

    .venv/bin/python bench/extract_eval.py            # the table
    .venv/bin/python bench/extract_eval.py --misses   # and every miss, page by page

Reads two labelled development sets from ../shared/corpus (beside the repository, never copied
into it; see its README): zh-web (69 Chinese pages, labels.json: author, date, text; title and 来源
labelled here in bench/data/zh-web-labels.json) and readability (Mozilla Readability's test pages:
expected-metadata.json and expected.html). Each page goes through what the crawler does with a
response: ``decode_html`` of the raw bytes, then ``extract_article``.

Body overlap is a bag-of-units precision/recall: characters (whitespace and punctuation left out)
on the Chinese set, lower-cased word tokens on the readability set. trafilatura run alone on the
readability pages is printed as the reference the extractor must beat.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from crawler.content.encoding import decode_html  # noqa: E402  (after the path insert above)
from crawler.content.extract import Article, extract_article  # noqa: E402
from crawler.errors import ExtractionError  # noqa: E402

CORPUS = REPO / ".." / "shared" / "corpus"
ZH_LABELS = REPO / "bench" / "data" / "zh-web-labels.json"
SHANGHAI = ZoneInfo("Asia/Shanghai")
# A label date: YYYY[-M[-D[ H:MM[:SS]]]], compared to the precision it gives.
_LABEL_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?)?)?$")
_NAME_SPLIT = re.compile(r"[\s、，,;；/&]+|\band\b")
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass
class Field:
    right: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    def score(self, page: str, ok: bool, got: Any, want: Any) -> None:
        self.total += 1
        if ok:
            self.right += 1
        else:
            self.misses.append(f"{page}: got {got!r}, want {want!r}")

    def cell(self) -> str:
        return f"{100 * self.right / self.total:5.1f} % ({self.right}/{self.total})" if self.total else "–"


@dataclass
class Body:
    precision: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    def add(self, page: str, got: Counter[str], want: Counter[str]) -> None:
        common = sum((got & want).values())
        p = common / sum(got.values()) if got else 0.0
        r = common / sum(want.values()) if want else 1.0
        self.precision.append(p)
        self.recall.append(r)
        if p < 0.9 or r < 0.9:
            self.misses.append(f"{page}: precision {p:.3f} recall {r:.3f}")

    def mean(self, values: list[float]) -> float:
        return sum(values) / len(values) if values else 0.0

    def f1(self) -> float:
        scores = [2 * p * r / (p + r) if p + r else 0.0 for p, r in zip(self.precision, self.recall, strict=True)]
        return self.mean(scores)

    def cell(self) -> str:
        return (f"P {self.mean(self.precision):.3f}  R {self.mean(self.recall):.3f}  F1 {self.f1():.3f}"
                f"  (n={len(self.precision)})")


def chars(text: str) -> Counter[str]:
    """Characters without whitespace, punctuation or symbols: what a Chinese body is made of."""
    text = unicodedata.normalize("NFKC", text)
    return Counter(ch for ch in text if not ch.isspace() and unicodedata.category(ch)[0] not in "PSZC")


def words(text: str) -> Counter[str]:
    return Counter(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def norm(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def names(text: str | None) -> set[str]:
    text = re.sub(r"^(?:by|par|von)\s+", "", norm(text).casefold())
    return {part for part in _NAME_SPLIT.split(text) if part}


def date_matches(label: str, got: datetime | None) -> bool:
    """The label is the page's wall-clock time: Beijing time, or the zone the page itself gave."""
    match = _LABEL_DATE.match(label.strip())
    if match is None or got is None:
        return False
    wanted = [int(g) for g in match.groups() if g is not None]
    for local in (got.astimezone(SHANGHAI), got):
        have = [local.year, local.month, local.day, local.hour, local.minute, local.second]
        if have[: len(wanted)] == wanted:
            return True
    return False


def extract_file(path: Path, url: str) -> Article | None:
    html, _ = decode_html(path.read_bytes())
    try:
        return extract_article(html, url)
    except ExtractionError:
        return None


def zh_web(root: Path, fields: dict[str, Field], body: Body, alone: Body) -> None:
    import trafilatura

    labels: dict[str, dict[str, Any]] = json.loads((root / "labels.json").read_text(encoding="utf-8"))
    ours: dict[str, dict[str, Any]] = json.loads(ZH_LABELS.read_text(encoding="utf-8"))
    for page, label in sorted(labels.items()):
        path = root / "pages" / f"{page}.html"
        article = extract_file(path, path.resolve().as_uri())
        short = page[:8]
        date = (label.get("date") or "").strip()
        if not date or date.upper().startswith("UNKN"):
            # "The page shows no date": scored apart, the target is on pages that show one.
            fields["no date"].score(short, article is not None and article.published is None,
                                    article and article.published and article.published.isoformat(), None)
        elif _LABEL_DATE.match(date):
            fields["date"].score(short, date_matches(date, article and article.published),
                                 article and article.published and article.published.isoformat(), date)
        want_author = names(label.get("author"))
        got_author = names(article.author if article else None)
        fields["author"].score(short, got_author == want_author, article and article.author, label.get("author"))
        mine = ours.get(page, {})
        if "title" in mine:
            got_title = article.title if article else None
            fields["title"].score(short, norm(got_title) == norm(mine["title"]), got_title, mine["title"])
        if "source_name" in mine:
            got_source = article.source_name if article else None
            fields["来源"].score(short, norm(got_source) == norm(mine["source_name"]), got_source,
                               mine["source_name"])
        body.add(short, chars(article.text if article else ""), chars(label.get("text") or ""))
        raw, _ = decode_html(path.read_bytes())
        alone.add(short, chars(trafilatura.extract(raw) or ""), chars(label.get("text") or ""))


def _html_text(html: str) -> str:
    import lxml.html

    tree = lxml.html.fromstring(html)
    for element in tree.iter():
        if isinstance(element.tag, str) and element.tag in {"p", "div", "li", "br", "h1", "h2", "h3", "td", "tr"}:
            element.tail = "\n" + (element.tail or "")
    return str(tree.text_content())


def readability(root: Path, fields: dict[str, Field], body: Body, alone: Body) -> None:
    import trafilatura

    for case in sorted(p for p in root.iterdir() if (p / "source.html").is_file()):
        meta = json.loads((case / "expected-metadata.json").read_text(encoding="utf-8"))
        url = f"http://fakehost/{case.name}/"  # Readability's own test URL for these pages
        article = extract_file(case / "source.html", url)
        expected = words(_html_text((case / "expected.html").read_text(encoding="utf-8")))
        body.add(case.name, words(article.text if article else ""), expected)
        raw, _ = decode_html((case / "source.html").read_bytes())
        alone.add(case.name, words(trafilatura.extract(raw, url=url) or ""), expected)
        if meta.get("title"):
            got = article.title if article else None
            fields["title"].score(case.name, _same_title(got, meta["title"]), got, meta["title"])
        if meta.get("byline"):
            got = article.author if article else None
            want = names(meta["byline"])
            have = names(got)
            # Readability's bylines carry dates and "Written by": the names must be among its words.
            fields["author"].score(case.name, bool(have) and have <= want, got, norm(meta["byline"]))
        if meta.get("siteName"):
            got = article.site_name if article else None
            fields["site"].score(case.name, norm(got).casefold() == norm(meta["siteName"]).casefold(), got,
                                 meta["siteName"])
        if meta.get("publishedTime"):
            got_date = article.published if article else None
            want = str(meta["publishedTime"])
            ok = got_date is not None and _same_instant(want, got_date)
            fields["date"].score(case.name, ok, got_date and got_date.isoformat(), want)


def _same_title(got: str | None, label: str) -> bool:
    """Readability keeps the site's name in its titles ("… | eHow", "…_腾讯网"): the label with such a
    suffix is still the same headline."""
    have, want = norm(got).casefold(), norm(label).casefold()
    return bool(have) and (have == want or (want.startswith(have) and bool(
        re.match(r"\s*(?:[|\-–—_»·:\[]|@|::)", want[len(have):]))))


def _same_instant(label: str, got: datetime) -> bool:
    """To the minute when the label has a zone, else the local wall-clock day."""
    try:
        want = datetime.fromisoformat(label.replace("Z", "+00:00"))
    except ValueError:
        return False
    if want.tzinfo is None:
        return got.replace(tzinfo=None).date() == want.date()
    return abs((got - want).total_seconds()) < 60


def table(title: str, rows: Iterable[tuple[str, str]]) -> None:
    print(f"\n{title}")
    for name, cell in rows:
        print(f"  {name:<22} {cell}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--misses", action="store_true", help="list every miss, page by page")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the corpus directory (../shared/corpus)")
    args = parser.parse_args(argv)
    corpus: Path = args.corpus
    if not corpus.is_dir():
        print(f"corpus not found at {corpus.resolve()}: nothing to score (it lives beside the repository)")
        return 0
    runs: list[tuple[str, Callable[[], None], dict[str, Field], list[tuple[str, Body]]]] = []
    if (corpus / "zh-web").is_dir():
        zh_fields = {name: Field() for name in ("date", "no date", "author", "title", "来源")}
        zh_body, zh_alone = Body(), Body()
        runs.append(("zh-web (characters)", lambda: zh_web(corpus / "zh-web", zh_fields, zh_body, zh_alone),
                     zh_fields, [("body", zh_body), ("body, trafilatura alone", zh_alone)]))
    if (corpus / "readability").is_dir():
        rd_fields = {name: Field() for name in ("title", "author", "site", "date")}
        rd_body, rd_alone = Body(), Body()
        runs.append(("readability (word tokens)",
                     lambda: readability(corpus / "readability", rd_fields, rd_body, rd_alone), rd_fields,
                     [("body", rd_body), ("body, trafilatura alone", rd_alone)]))
    for name, run, fields, bodies in runs:
        run()
        table(name, [(key, f.cell()) for key, f in fields.items()] + [(key, b.cell()) for key, b in bodies])
        if args.misses:
            for key, f in fields.items():
                for miss in f.misses:
                    print(f"    miss {key:<7} {miss}")
            for key, b in bodies[:1]:
                for miss in b.misses:
                    print(f"    miss {key:<7} {miss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

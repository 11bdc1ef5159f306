"""Labelled evaluation of near-duplicate story detection: precision and recall over pairs of posts.

The set is built from the demo web's stories: every page of every story (publisher originals,
aggregator copies, the portal's near-duplicate variants) fetched from a running demo web and
extracted as the crawler extracts it, plus synthetic edits of each story's text:

  edited     2 % of the characters substituted, clauses dropped (a copy-editor's pass)
  trimmed    the ending cut (15-35 % of the text)
  extended   an editor's note appended and an advert inserted
  rewrapped  paragraphs joined and re-broken, half-width punctuation, stray spaces
  reworked   trimmed + extended + lightly edited
  templated  the story inside a portal template (lead line, advert, long disclaimer) that survives
             extraction; every story gets one on the same portal host, so the template is shared by
             different stories: those must not merge
  taiwan     converted to Traditional script with Taiwan vocabulary (OpenCC s2twp: 软件→軟體)
  hongkong   converted to Traditional script, Hong Kong variants (OpenCC s2hk)
  excerpt    the first 20-50 % of the text (100 characters at least, cut at a sentence end), as an
             aggregator shows it
  excerpt-more  the same with a "阅读全文" line under it (and a "来源" line on some)
  excerpt-tw    an excerpt-more of the Taiwan copy ("閱讀全文")

Different stories on the same topic (two night-school stories, two sodium-battery stories) and
different stories on one template (the demo portal's briefs) come from the demo web itself. Two more
kinds of different stories are synthetic, each a story of its own that must not merge:

  followup   a follow-up that repeats a story's first paragraph as background, then goes on with
             other text (sentences of other stories)
  followup-para  a follow-up that repeats one paragraph of a story (any, 60 characters or more), then
             goes on with text of its own (sentences of other stories)
  followup-tw    a followup-para in Traditional script (s2twp), the repeated paragraph included
  digest     a news round-up made of the first paragraphs of three stories (each story in one)

Each post is labelled with its story. Two numbers are reported: the pair classifier
(``crawler.content.neardup.similarity`` score >= threshold, for every pair) and the index store's clustering
(every post upserted into a fresh SQLite index in a shuffled order; pairs in one story cluster).
Per kind, the pairs that involve a post of that kind: precision (of the pairs clustered together) and
recall (of the pairs of one story; none for the kinds that are stories of their own).

    .venv/bin/python bench/story_eval.py [--threshold T] [--seed N | --seeds 1-15] [--check] [--postgres URL]

``--check`` exits 1 when the store's clustering misses the targets (precision >= 0.99, recall >= 0.95),
overall or on any kind, on any of the seeds.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import unicodedata
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path
from urllib.parse import urlsplit

import opencc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.content.encoding import decode_html  # noqa: E402
from crawler.content.extract import extract_article  # noqa: E402
from crawler.content.neardup import DEFAULT_THRESHOLD, similarity  # noqa: E402
from crawler.content.text import normalise_lines  # noqa: E402
from crawler.demoweb import STORIES, DemoWeb  # noqa: E402

_S2TWP = opencc.OpenCC("s2twp")
_S2HK = opencc.OpenCC("s2hk")

TARGET_PRECISION = 0.99
TARGET_RECALL = 0.95

_ADVERTS = (
    "【广告】扫码下载客户端，新用户登录即领现金红包，提现秒到账",
    "↓↓↓ 点击下方卡片，关注我们，获取更多本地资讯 ↓↓↓",
    "【推广】限时福利：订阅本报电子版首月仅需1元",
)
_NOTES = (
    "编者按：本文所述情况仅代表采访时的进展，后续变化请以有关部门发布的信息为准。",
    "本网注意到，相关话题已在社交平台引发热议，不少网友留言分享了自己的经历和看法。",
    "延伸阅读：近年来，各地在相关领域陆续出台了一系列支持政策，推动工作向基层延伸。",
)
# A portal template that survives extraction: as long as a short brief, on purpose.
_PORTAL_TEMPLATE_HEAD = ("看点网讯｜本栏目内容由合作媒体提供，看点网编辑部整理发布，每日早中晚三次更新全国热点资讯",)
_PORTAL_TEMPLATE_MID = ("【广告】看点网APP全新升级：看新闻领金币，邀请好友再得20元，金币可直接兑换话费和视频会员",)
_PORTAL_TEMPLATE_TAIL = (
    "版权声明：凡本网注明“来源：看点网”的所有作品，版权均属于看点网，未经本网授权不得转载、摘编或利用其它方式使用上述作品。"
    "凡本网注明“来源：XXX（非看点网）”的作品，均转载自其它媒体，转载目的在于传递更多信息，并不代表本网赞同其观点和对其真实性负责。",
    "看点网违法和不良信息举报电话：400-000-0000，举报邮箱：jubao@kandian.example",
)
_HALF_WIDTH = str.maketrans({"，": ",", "。": ".", "：": ":", "；": ";", "“": '"', "”": '"', "（": "(", "）": ")",
                             "！": "!", "？": "?", "、": ","})


@dataclass(frozen=True)
class Doc:
    story: str
    kind: str  # "page" (a demo web page) or the synthetic edit's name
    url: str
    text: str

    @property
    def site(self) -> str:
        return urlsplit(self.url).netloc


def _paragraphs(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _body(text: str) -> list[str]:
    """The paragraphs without the attribution lines an aggregator copy ends with."""
    kept = _paragraphs(text)
    while kept and kept[-1].startswith(("来源", "原文链接", "阅读原文", "扫码下载")):
        kept.pop()
    return kept


def edited(text: str, rng: random.Random, rate: float = 0.02) -> str:
    paragraphs = _body(text)
    chars = [ch for p in paragraphs for ch in p if unicodedata.category(ch) == "Lo"]
    out = []
    for paragraph in paragraphs:
        clauses = paragraph.split("，")
        if len(clauses) > 3 and rng.random() < 0.4:
            del clauses[rng.randrange(1, len(clauses) - 1)]  # a copy-editor drops a clause
        line = "".join(rng.choice(chars) if unicodedata.category(ch) == "Lo" and rng.random() < rate else ch
                       for ch in "，".join(clauses))
        out.append(line)
    return "\n".join(out)


def trimmed(text: str, rng: random.Random) -> str:
    paragraphs = _body(text)
    total = sum(map(len, paragraphs))
    goal = total * rng.uniform(0.15, 0.35)
    while len(paragraphs) > 2 and sum(map(len, paragraphs[-1:])) <= goal:
        goal -= len(paragraphs.pop())
    if goal > 0:  # cut the last paragraph mid-way to reach the goal, at a sentence end
        last = paragraphs[-1]
        cut = last.rfind("。", 0, max(1, len(last) - int(goal)))
        paragraphs[-1] = last[:cut + 1] if cut > 0 else last
    return "\n".join(paragraphs)


def extended(text: str, rng: random.Random) -> str:
    paragraphs = _body(text)
    paragraphs.insert(min(2, len(paragraphs)), rng.choice(_ADVERTS))
    paragraphs.append(rng.choice(_NOTES))
    return "\n".join(paragraphs)


def rewrapped(text: str, rng: random.Random) -> str:
    joined = "".join(_body(text)).translate(_HALF_WIDTH)
    joined = joined.replace(",", ", ").replace(".", ". ")
    width = rng.randrange(30, 60)
    return "\n".join(joined[i:i + width] for i in range(0, len(joined), width))


def reworked(text: str, rng: random.Random) -> str:
    return edited(extended(trimmed(text, rng), rng), rng, rate=0.01)


def taiwan(text: str, rng: random.Random) -> str:
    return str(_S2TWP.convert(text))


def hongkong(text: str, rng: random.Random) -> str:
    return str(_S2HK.convert(text))


EXCERPT_MIN_CHARS = 100  # an aggregator shows a lead paragraph at least


def excerpt(text: str, rng: random.Random) -> str:
    """The first 20-50 % of the text (EXCERPT_MIN_CHARS at least), cut at the next sentence end."""
    body = "\n".join(_body(text))
    goal = max(int(len(body) * rng.uniform(0.2, 0.5)), EXCERPT_MIN_CHARS)
    cut = body.find("。", goal)
    return body[:cut + 1] if cut > 0 else body[:goal]


def excerpt_more(text: str, rng: random.Random) -> str:
    lines = [excerpt(text, rng), "阅读全文"]
    if rng.random() < 0.5:
        lines.insert(1, f"来源：{rng.choice(('中国青年报', '看点快报', '新华网'))}")
    return "\n".join(lines)


def excerpt_tw(text: str, rng: random.Random) -> str:
    return str(_S2TWP.convert("\n".join([excerpt(text, rng), "阅读全文"])))


def templated(text: str, rng: random.Random) -> str:
    paragraphs = _body(text)
    middle = min(2, len(paragraphs))
    return "\n".join([*_PORTAL_TEMPLATE_HEAD, *paragraphs[:middle], *_PORTAL_TEMPLATE_MID, *paragraphs[middle:],
                      *_PORTAL_TEMPLATE_TAIL])


EDITS: dict[str, Callable[[str, random.Random], str]] = {
    "edited": edited, "trimmed": trimmed, "extended": extended, "rewrapped": rewrapped,
    "reworked": reworked, "templated": templated, "taiwan": taiwan, "hongkong": hongkong, "excerpt": excerpt,
    "excerpt-more": excerpt_more, "excerpt-tw": excerpt_tw,
}
# Each kind of synthetic copy lives on its own site, shared by every story's copy of that kind.
SITES = {"edited": "edit.example", "trimmed": "trim.example", "extended": "more.example",
         "rewrapped": "wrap.example", "reworked": "rework.example", "templated": "kandian.example",
         "taiwan": "tw.example", "hongkong": "hk.example", "excerpt": "excerpt.example",
         "excerpt-more": "more-excerpt.example", "excerpt-tw": "excerpt.tw.example"}
# The kinds of post that are stories of their own: they have precision, no recall.
OWN_STORIES = ("followup", "followup-para", "followup-tw", "digest")


def demo_docs() -> list[Doc]:
    """Every page of every demo story, extracted as the crawler extracts it."""
    docs = []
    with DemoWeb(base_port=0) as web:
        for story in STORIES:
            for ref in (*story.pages, *story.variants):
                url = web.ref_url(ref)
                with urllib.request.urlopen(url, timeout=10) as response:
                    html, _ = decode_html(response.read(), response.headers.get("Content-Type"))
                docs.append(Doc(story.key, "page", url, extract_article(html, url).text))
    return docs


def _sentences(text: str) -> list[str]:
    return [s + "。" for p in _body(text) for s in p.split("。") if len(s) > 8]


def build_set(seed: int, pages: list[Doc] | None = None) -> list[Doc]:
    docs = list(pages) if pages is not None else demo_docs()
    base = {doc.story: doc for doc in reversed(docs)}  # the first page of each story: its original
    names = sorted(base)
    for index, story in enumerate(names):
        for kind, edit in EDITS.items():
            rng = random.Random(f"{seed}:{story}:{kind}")
            docs.append(Doc(story, kind, f"http://{SITES[kind]}/{index}/{kind}.html", edit(base[story].text, rng)))
    for index, story in enumerate(names):
        rng = random.Random(f"{seed}:{story}:followup")
        others = [s for name in names if name != story for s in _sentences(base[name].text)]
        text = "\n".join([_body(base[story].text)[0], *("".join(rng.sample(others, 3)) for _ in range(4))])
        docs.append(Doc(f"followup-{story}", "followup", f"http://followup.example/{index}.html", text))
    for index, story in enumerate(names):
        for kind in ("followup-para", "followup-tw"):
            rng = random.Random(f"{seed}:{story}:{kind}")
            others = [s for name in names if name != story for s in _sentences(base[name].text)]
            repeated = rng.choice([p for p in _body(base[story].text) if len(p) >= 60])
            own = ["".join(rng.sample(others, 3)) for _ in range(rng.randrange(2, 5))]
            text = "\n".join([own[0], repeated, *own[1:]] if rng.random() < 0.5 else [repeated, *own])
            if kind == "followup-tw":
                text = str(_S2TWP.convert(text))
            docs.append(Doc(f"{kind}-{story}", kind, f"http://{kind}.example/{index}.html", text))
    # Each story's lead in one round-up: a lead repeated in three round-ups of the site would be learnt
    # as that site's template, and its round-ups would then be nothing but the lead they share (a
    # limitation of template learning, not what this set measures).
    shuffled = random.Random(f"{seed}:digest").sample(names, len(names))
    for index in range(len(names) // 3):
        # Each story's lead: its first paragraph of real text (not a byline or a portal's lead-in line).
        leads = [next(p for p in _body(base[name].text) if len(p) >= 60) for name in shuffled[3 * index:3 * index + 3]]
        docs.append(Doc(f"digest-{index}", "digest", f"http://digest.example/{index}.html", "\n".join(leads)))
    return docs


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def _pair_kinds(a: Doc, b: Doc) -> set[str]:
    """The kinds a pair counts for: each post's kind ("page" only for two demo pages)."""
    kinds = {a.kind, b.kind}
    return kinds - {"page"} or {"page"}


def score_pairs(docs: list[Doc], same: Callable[[int, int], bool]
                ) -> tuple[Score, dict[str, Score], Counter[str], list[str]]:
    score, by_kind, missed, errors = Score(), defaultdict[str, Score](Score), Counter[str](), []
    for i, j in combinations(range(len(docs)), 2):
        truth, predicted = docs[i].story == docs[j].story, same(i, j)
        counted = [score, *(by_kind[kind] for kind in _pair_kinds(docs[i], docs[j]))]
        if truth and predicted:
            for each in counted:
                each.tp += 1
        elif predicted:
            for each in counted:
                each.fp += 1
            errors.append(f"  false merge: {docs[i].story}/{docs[i].kind} + {docs[j].story}/{docs[j].kind}")
        elif truth:
            for each in counted:
                each.fn += 1
            missed[docs[i].kind if docs[i].kind != "page" else docs[j].kind] += 1
            errors.append(f"  missed:      {docs[i].story}/{docs[i].kind} + {docs[j].kind}")
    return score, dict(by_kind), missed, errors


@contextmanager
def fresh_index(postgres: str | None) -> Iterator[str]:
    """A new empty index: a temporary SQLite file, or a schema of its own in the given PostgreSQL database."""
    if postgres is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/eval.sqlite3"
        return
    import psycopg

    schema = f"story_eval_{os.getpid()}"
    with psycopg.connect(postgres, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{postgres}{'&' if '?' in postgres else '?'}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(postgres, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def cluster_in_store(docs: list[Doc], seed: int, threshold: float, postgres: str | None = None) -> list[str]:
    """Upsert every doc into a fresh index store in a shuffled order; returns each doc's story key."""
    from crawler.content.text import content_hash
    from crawler.index import SqlIndexStore
    from crawler.items import PostItem

    order = list(range(len(docs)))
    random.Random(seed).shuffle(order)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    with fresh_index(postgres) as url:
        store = SqlIndexStore(url, story_threshold=threshold)
        try:
            for n, i in enumerate(order):
                doc = docs[i]
                store.upsert_post(PostItem(
                    source=doc.site, url=doc.url, role="copy", title=f"{doc.story} {doc.kind}", text=doc.text,
                    body_html="".join(f"<p>{line}</p>" for line in _paragraphs(doc.text)),
                    published=start + timedelta(minutes=n), content_hash=content_hash(doc.text),
                ))
            story_of = {u.url: post.story_key for post in store.posts() for u in post.urls}
        finally:
            store.close()
    return [story_of[doc.url] for doc in docs]


def _seeds(value: str) -> list[int]:
    first, _, last = value.partition("-")
    return list(range(int(first), int(last or first) + 1))


@dataclass
class Run:
    seed: int
    store: Score
    by_kind: dict[str, Score]

    def below_target(self) -> list[str]:
        """What misses the targets: "overall" or a kind's name."""
        scores = {"overall": self.store, **self.by_kind}
        return [name for name, score in scores.items()
                if score.precision < TARGET_PRECISION or (name not in OWN_STORIES and score.recall < TARGET_RECALL)]


def evaluate(docs: list[Doc], seed: int, args: argparse.Namespace, *, verbose: bool) -> Run:
    lines = [normalise_lines(doc.text) for doc in docs]
    stories = len({doc.story for doc in docs})
    if verbose:
        kinds = Counter(doc.kind for doc in docs)
        positives = sum(1 for i, j in combinations(range(len(docs)), 2) if docs[i].story == docs[j].story)
        print(f"{len(docs)} posts of {stories} stories ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}); "
              f"{positives} same-story pairs, {len(docs) * (len(docs) - 1) // 2 - positives} different-story pairs")
        print(f"threshold {args.threshold}; index store on {'PostgreSQL' if args.postgres else 'SQLite'}")

    sims: dict[tuple[int, int], float] = {}

    def pair_same(i: int, j: int) -> bool:
        sims[i, j] = similarity(lines[i], lines[j], same_site=docs[i].site == docs[j].site).score
        return sims[i, j] >= args.threshold

    pair, _, pair_missed, pair_errors = score_pairs(docs, pair_same)
    keys = cluster_in_store(docs, seed, args.threshold, args.postgres)
    store, by_kind, store_missed, store_errors = score_pairs(docs, lambda i, j: keys[i] == keys[j])
    run = Run(seed, store, by_kind)
    if not verbose:
        return run

    for name, score, missed in (("pair classifier", pair, pair_missed), ("index store", store, store_missed)):
        print(f"{name:16s} precision {score.precision:.4f}  recall {score.recall:.4f}  "
              f"(tp {score.tp}, fp {score.fp}, fn {score.fn})"
              + (f"; missed by kind: {dict(missed)}" if missed else ""))
    print("index store by kind:")
    for kind, score in sorted(by_kind.items()):
        recall = "     -" if kind in OWN_STORIES else f"{score.recall:.4f}"
        print(f"  {kind:14s} precision {score.precision:.4f}  recall {recall}  (tp {score.tp}, fp {score.fp}, "
              f"fn {score.fn})")
    positive_sims = sorted(s for (i, j), s in sims.items() if docs[i].story == docs[j].story)
    negative_sims = sorted(s for (i, j), s in sims.items() if docs[i].story != docs[j].story)
    print(f"similarity: same story min {positive_sims[0]:.3f}, 5th percentile "
          f"{positive_sims[len(positive_sims) // 20]:.3f}; different stories max {negative_sims[-1]:.3f}")
    hardest: dict[str, float] = defaultdict(float)
    for (i, j), value in sims.items():
        if docs[i].story != docs[j].story:
            for kind in {docs[i].kind, docs[j].kind}:
                hardest[kind] = max(hardest[kind], value)
    print("different stories, highest similarity by kind:",
          ", ".join(f"{kind} {value:.3f}" for kind, value in sorted(hardest.items())))
    if args.errors:
        print("pair classifier errors:", *pair_errors, sep="\n")
        print("index store errors:", *store_errors, sep="\n")
    print(f"index store: {len(set(keys))} story clusters for {stories} stories")
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seeds", type=_seeds, metavar="FIRST-LAST",
                        help="run every seed of the range (e.g. 1-15); one line each, then each kind's worst")
    parser.add_argument("--check", action="store_true", help="exit 1 when the store misses the targets")
    parser.add_argument("--errors", action="store_true", help="list every wrong pair")
    parser.add_argument("--postgres", metavar="URL", help="cluster in this PostgreSQL database (in a schema of "
                        "its own, dropped afterwards) instead of a temporary SQLite file")
    args = parser.parse_args(argv)

    pages = demo_docs()
    if not args.seeds:
        runs = [evaluate(build_set(args.seed, pages), args.seed, args, verbose=True)]
    else:
        runs = []
        for seed in args.seeds:
            run = evaluate(build_set(seed, pages), seed, args, verbose=False)
            below = run.below_target()
            print(f"seed {seed:2d}: index store precision {run.store.precision:.4f}  recall {run.store.recall:.4f}"
                  + (f"; below target: {', '.join(below)}" if below else ""))
            runs.append(run)
        print(f"index store by kind, seeds {args.seeds[0]}-{args.seeds[-1]} (worst seed; pairs pooled):")
        for kind in sorted({kind for run in runs for kind in run.by_kind}):
            scores = [run.by_kind[kind] for run in runs if kind in run.by_kind]
            pooled = Score(sum(s.tp for s in scores), sum(s.fp for s in scores), sum(s.fn for s in scores))
            recall = ("             -" if kind in OWN_STORIES else
                      f"{min(s.recall for s in scores):.4f} ({pooled.recall:.4f})")
            print(f"  {kind:14s} precision {min(s.precision for s in scores):.4f} ({pooled.precision:.4f})  "
                  f"recall {recall}")
    if args.check and any(run.below_target() for run in runs):
        print(f"below target (precision >= {TARGET_PRECISION}, recall >= {TARGET_RECALL}, overall and on each kind)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

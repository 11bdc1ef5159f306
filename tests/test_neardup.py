"""Near-duplicate detection on its own: shingles, the similarity score, MinHash and LSH buckets."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np
import opencc
import pytest
from datasketch import MinHash

from crawler.content.extract import extract_article
from crawler.content.neardup import (
    DEFAULT_THRESHOLD,
    OPENING_BANDS,
    MinHasher,
    opening_shingles,
    shingles,
    similarity,
    template_candidates,
)
from crawler.content.text import normalise, normalise_lines
from crawler.demoweb.responses import SITE_DIR

# Pages of the demo web, as files: the crawler's extraction of them is the text a story has.
ORIGINAL = "cyol/content/2026-11/20/content_38211457.htm"  # "same-story"
EDITED_COPY = "kuaixun/news/2026-11-20/doc-ikxdron8810342.shtml"  # that story edited, re-wrapped, extended
NIGHT_SCHOOL = "cyol/content/2026-11/19/content_38213302.htm"  # "zaker-cyol"
TRIMMED_COPY = "kuaixun/news/2026-11-19/doc-ikxnigh8806518.shtml"  # that story trimmed
OTHER_NIGHT_SCHOOL = "kuaixun/news/2026-11-18/doc-ikxcdny8801977.shtml"  # same topic, another story
BATTERY = "qutoutiao/detail/2026/11/21/1782046690.html"  # "no-link"
OTHER_BATTERY = "kuaixun/news/2026-11-20/doc-ikxbatt8811256.shtml"  # same topic, another story
SNOW = "kuaixun/news/2026-11-22/doc-ikxsnow8820417.shtml"  # short briefs on the portal's template
MARATHON = "kuaixun/news/2026-11-21/doc-ikxmara8817093.shtml"


@cache
def text_of(page: str) -> str:
    html = (SITE_DIR / page).read_text(encoding="utf-8").replace("{{host:", "http://").replace("}}", ".example")
    return extract_article(html, f"http://{page.split('/')[0]}.example/{page}").text


def lines_of(page: str) -> list[str]:
    return normalise_lines(text_of(page))


def test_normalised_lines_join_to_the_hashed_text() -> None:
    assert all(text_of(page) for page in (ORIGINAL, EDITED_COPY, SNOW))
    for page in (ORIGINAL, EDITED_COPY, SNOW):
        assert "".join(normalise_lines(text_of(page))) == normalise(text_of(page))
        assert all(normalise_lines(text_of(page)))


def test_shingles_ignore_wrapping_width_and_punctuation() -> None:
    text = text_of(ORIGINAL)
    rewrapped = "".join(text.splitlines()).replace("，", ", ").replace("。", ".\n").replace("2026", "２０２６")
    assert np.array_equal(shingles(normalise_lines(text)), shingles(normalise_lines(rewrapped)))
    one = shingles(["一二三四五六"])
    assert one.dtype == np.uint32 and one.size == 2 and np.all(one[:-1] < one[1:])  # sorted, distinct
    assert shingles(["短"]).size == 1 and shingles([]).size == 0
    assert shingles(["损坏\udcff的页面"]).size == 2  # a lone surrogate is a character, not an exception


@pytest.mark.parametrize(("a", "b"), [(ORIGINAL, EDITED_COPY), (NIGHT_SCHOOL, TRIMMED_COPY)], ids=["edited", "trimmed"])
def test_copies_are_the_same_story(a: str, b: str) -> None:
    result = similarity(lines_of(a), lines_of(b))
    assert result.same(DEFAULT_THRESHOLD), result
    assert 0 < result.jaccard < result.score <= result.containment <= 1
    swapped = similarity(lines_of(b), lines_of(a))
    assert (swapped.score, swapped.shingles) == (pytest.approx(result.score), result.shingles[::-1])


@pytest.mark.parametrize(("a", "b"), [(NIGHT_SCHOOL, OTHER_NIGHT_SCHOOL), (BATTERY, OTHER_BATTERY),
                                      (TRIMMED_COPY, OTHER_NIGHT_SCHOOL)], ids=["topic", "topic2", "topic-template"])
def test_stories_on_one_topic_are_different(a: str, b: str) -> None:
    result = similarity(lines_of(a), lines_of(b), same_site=a.split("/")[0] == b.split("/")[0])
    assert result.score < 0.25, result


def test_a_shared_template_does_not_make_two_briefs_one_story() -> None:
    snow, marathon = lines_of(SNOW), lines_of(MARATHON)
    template = ["本站讯关注本站公众号每天早中晚三次推送全国热点资讯第一时间掌握身边大事小情",
                "广告下载本站app新用户登录即领10元现金红包邀请好友再得20元金币可直接兑换话费和视频会员",
                "免责声明本文系转载版权归原作者所有转载目的在于传递更多信息并不代表本站赞同其观点和对其真实性负责"
                "如涉及作品内容版权等问题请在30日内与本站联系"]
    heavy_a, heavy_b = [*template[:2], *snow, template[2]], [*template[:2], *marathon, template[2]]
    # Compared as plain texts, the template outweighs the two short stories...
    assert similarity(heavy_a, heavy_b).same(DEFAULT_THRESHOLD)
    # ...but two pages of one site are also compared on what each has of its own,
    guarded = similarity(heavy_a, heavy_b, same_site=True)
    assert not guarded.same(DEFAULT_THRESHOLD) and guarded.own_text
    # and a site's known template is left out of both texts, even from a re-wrapped copy.
    rewrapped = ["".join(heavy_b)[i:i + 37] for i in range(0, len("".join(heavy_b)), 37)]
    assert not similarity(heavy_a, rewrapped, template=template).same(DEFAULT_THRESHOLD)
    # A re-post of one brief on the same site stays the same story.
    assert similarity(heavy_a, [*heavy_a[:3], heavy_a[4]], same_site=True).same(DEFAULT_THRESHOLD)


def _taiwan(text: str) -> str:
    return str(opencc.OpenCC("s2twp").convert(text))


def _hong_kong(text: str) -> str:
    return str(opencc.OpenCC("s2hk").convert(text))


def _excerpt(text: str, share: float) -> str:
    """The first share of the text, cut at the next sentence end, as an aggregator shows it."""
    cut = text.find("。", int(len(text) * share))
    return text[:cut + 1]


def _own_text() -> str:
    """Paragraphs of other stories, as a follow-up's own text."""
    return "\n".join([*text_of(BATTERY).splitlines()[1:3], *text_of(OTHER_NIGHT_SCHOOL).splitlines()[2:5]])


@pytest.mark.parametrize("script", [str, _taiwan, _hong_kong], ids=["simplified", "taiwan", "hongkong"])
def test_a_traditional_copy_has_the_shingles_and_signature_of_its_original(script: Callable[[str], str]) -> None:
    original = text_of(ORIGINAL)
    copy = script(original)
    assert np.array_equal(shingles(normalise_lines(copy)), shingles(lines_of(ORIGINAL)))
    assert similarity(lines_of(ORIGINAL), normalise_lines(copy)).score == 1.0
    if script is not str:  # what folding does: unfolded, the two scripts hardly share a shingle
        unfolded = similarity(normalise_lines(original, fold=False), normalise_lines(copy, fold=False))
        assert unfolded.score < 0.5, unfolded


@pytest.mark.parametrize("script", [str, _taiwan], ids=["simplified", "taiwan"])
@pytest.mark.parametrize("share", [0.0, 0.2, 0.4, 0.5])
def test_an_excerpt_is_the_story_however_short(share: float, script: Callable[[str], str]) -> None:
    whole = text_of(ORIGINAL)
    # share 0: the lead paragraph alone (133 characters), without the byline.
    lead = whole.splitlines()[1] if share == 0 else _excerpt(whole, share)
    for excerpt in (script(lead), script(lead + "\n阅读全文")):
        result = similarity(lines_of(ORIGINAL), normalise_lines(excerpt))
        assert result.same(DEFAULT_THRESHOLD) and result.excerpt(DEFAULT_THRESHOLD), result
        assert result.b_in_a == result.containment == 1.0 and result.a_in_b < 0.6
        if share <= 0.2:
            assert result.resemblance < DEFAULT_THRESHOLD  # as a copy it would not be the story
    # Either way round, and the Traditional original of a Simplified excerpt too.
    swapped = similarity(normalise_lines(script(lead)), normalise_lines(_taiwan(whole)))
    assert swapped.same(DEFAULT_THRESHOLD) and swapped.shorter == "a" and swapped.a_in_b == 1.0


@pytest.mark.parametrize("script", [str, _taiwan], ids=["simplified", "taiwan"])
def test_a_text_that_shares_only_its_opening_is_another_story(script: Callable[[str], str]) -> None:
    whole = text_of(ORIGINAL).splitlines()
    own = _own_text()
    # A follow-up that repeats the lead paragraph (its opening, or one paragraph in the middle), then
    # its own text; and a round-up of three stories' leads.
    followups = ["\n".join([whole[1], own]), "\n".join([own.splitlines()[0], whole[3], *own.splitlines()[1:]])]
    roundup = "\n".join([whole[1], text_of(BATTERY).splitlines()[0], text_of(NIGHT_SCHOOL).splitlines()[1]])
    for other in (*followups, roundup):
        result = similarity(lines_of(ORIGINAL), normalise_lines(script(other)))
        assert not result.same(DEFAULT_THRESHOLD), result
        assert min(result.a_in_b, result.b_in_a) > 0.1 and max(result.a_in_b, result.b_in_a) < 0.6
    # A line shorter than an excerpt can be (a byline, a caption) is held but tells nothing.
    caption = similarity(lines_of(ORIGINAL), normalise_lines(script(whole[2])))
    assert caption.containment == 1.0 and not caption.same(DEFAULT_THRESHOLD)


def test_an_excerpt_shares_an_opening_bucket_with_its_original() -> None:
    hasher = MinHasher()
    whole, excerpt = lines_of(ORIGINAL), normalise_lines(_taiwan(_excerpt(text_of(ORIGINAL), 0.2)))
    opening = [hasher.opening_buckets(hasher.signature(opening_shingles(lines))) for lines in (whole, excerpt)]
    assert set(opening[0]) & set(opening[1])
    text_buckets = set(hasher.buckets(hasher.signature(shingles(whole))))
    assert len(opening[0]) == OPENING_BANDS and not text_buckets & set(opening[0])  # numbered apart
    assert not set(opening[0]) & set(hasher.opening_buckets(hasher.signature(opening_shingles(lines_of(BATTERY)))))


def test_template_candidates_are_short_lines() -> None:
    lines = lines_of(SNOW)
    candidates = template_candidates([*lines, lines[0]])
    assert len(candidates) == len(set(candidates)) and lines[0] in candidates
    assert all(len(line) <= 120 for line in candidates)


def test_minhash_is_datasketch_affine32_with_our_permutations() -> None:
    hasher = MinHasher()
    hashes = shingles(lines_of(ORIGINAL))
    reference = MinHash(num_perm=hasher.num_perm, scheme="affine32", permutations=hasher.permutations,
                        hashfunc=int)
    reference.update_batch(hashes.tolist())
    assert np.array_equal(hasher.signature(hashes), reference.hashvalues)


def test_signatures_estimate_jaccard_and_share_buckets() -> None:
    hasher = MinHasher()
    a, b, c = (shingles(lines_of(page)) for page in (ORIGINAL, EDITED_COPY, OTHER_BATTERY))
    exact = similarity(lines_of(ORIGINAL), lines_of(EDITED_COPY)).jaccard
    sig_a, sig_b, sig_c = hasher.signature(a), hasher.signature(b), hasher.signature(c)
    assert abs(hasher.estimate(sig_a, sig_b) - exact) < 0.15
    assert set(hasher.buckets(sig_a)) & set(hasher.buckets(sig_b))
    assert not set(hasher.buckets(sig_a)) & set(hasher.buckets(sig_c))
    assert np.array_equal(hasher.from_bytes(hasher.to_bytes(sig_a)), sig_a)
    assert len(hasher.to_bytes(sig_a)) == 4 * hasher.num_perm
    assert hasher.candidate_probability(0.6) > 0.99 and hasher.candidate_probability(0.05) < 0.01


def test_signatures_and_buckets_never_change() -> None:
    """They are persisted: a changed hash function would silently split every stored story."""
    hasher = MinHasher()
    signature = hasher.signature(shingles(["县域职校开出无人机植保班学生农忙时节下田实训"]))
    assert signature[:4].tolist() == PINNED_SIGNATURE
    assert hasher.buckets(signature)[:2] == PINNED_BUCKETS


PINNED_SIGNATURE = [210477586, 453191632, 829961499, 267584450]
PINNED_BUCKETS = [-4780035103514673448, -8983377926451210367]

from __future__ import annotations

from crawler.content.text import clean_xml_text, content_hash, normalise, strip_trailers


def test_same_story_with_different_punctuation_width_and_whitespace_hashes_equal() -> None:
    a = "近日，２０２６年会在湖南召开。\n\n联盟发布了平台（试行）。"
    b = "近日, 2026年会在湖南召开.\n联盟发布了平台(试行). "
    assert content_hash(a) == content_hash(b)


def test_attribution_trailers_do_not_change_the_hash() -> None:
    body = "第一段内容。\n第二段内容。"
    assert content_hash(body + "\n来源：中国青年报客户端\n阅读原文") == content_hash(body)
    assert strip_trailers(body + "\n文章来源: 新华社") == body


def test_different_text_hashes_differ_and_empty_text_has_no_hash() -> None:
    assert content_hash("甲乙丙") != content_hash("甲乙丁")
    assert content_hash(" ，。!! ") == ""


def test_normalise_folds_case_and_controls() -> None:
    assert normalise("ABC\u200b d\te") == "abcde"


def test_clean_xml_text_removes_illegal_characters() -> None:
    assert clean_xml_text("a\x00b\x0bc\ud800d\ufffe") == "abcd"
    assert clean_xml_text("tab\tnewline\n") == "tab\tnewline\n"

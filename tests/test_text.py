from __future__ import annotations

from crawler.content.text import clean_xml_text, content_hash, fold_script, normalise, normalise_lines, strip_trailers


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


# A mainland paragraph and what Taiwan and Hong Kong portals make of it (script and vocabulary).
SIMPLIFIED = "这款软件通过网络自动更新，用户在线上即可下载。\n内存不足时，程序会提示清理缓存。"
TAIWAN = "這款軟體通過網路自動更新，使用者在線上即可下載。\n記憶體不足時，程式會提示清理快取。"
HONG_KONG = "這款軟件通過網絡自動更新，用戶在線上即可下載。\n內存不足時，程序會提示清理緩存。"


def test_traditional_copies_hash_as_their_simplified_original() -> None:
    assert content_hash(TAIWAN) == content_hash(SIMPLIFIED) == content_hash(HONG_KONG)
    assert normalise_lines(TAIWAN) == normalise_lines(SIMPLIFIED)
    # Folding is for comparing only: the text itself is left as it was, and can be seen unfolded.
    assert normalise_lines(TAIWAN, fold=False)[0].startswith("這款軟體")
    assert fold_script("abc 123") == "abc 123"


def test_trailers_in_traditional_script_are_dropped_too() -> None:
    body = "第一段內容很長。\n第二段內容。"
    assert strip_trailers(body + "\n來源：中央社\n閱讀原文") == body
    assert strip_trailers(body + "\n閱讀全文") == body  # an excerpt's "read the whole text"
    assert content_hash(body + "\n来源：新华网\n阅读全文") == content_hash(body)


def test_folded_normalisation_is_idempotent_and_safe_on_broken_text() -> None:
    for text in (TAIWAN, HONG_KONG, SIMPLIFIED + "\n萧乾回忆起改革进程"):
        assert normalise(normalise(text)) == normalise(text)
    # OpenCC's core stops at a NUL and its binding rejects lone surrogates: neither reaches it.
    assert normalise("軟體\x00網路\udcff更新") == "软件网络更新"
    assert strip_trailers("正文\n來源\x00：\ud800中央社") == "正文"

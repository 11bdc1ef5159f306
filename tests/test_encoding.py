from __future__ import annotations

import codecs

from crawler.content.encoding import decode_html, detect_encoding

TEXT = "<html><head>{meta}</head><body><p>中国青年报记者报道，湖南铁道职业技术学院</p></body></html>"


def test_gbk_bytes_with_only_a_meta_tag() -> None:
    body = TEXT.format(meta='<meta http-equiv="Content-Type" content="text/html; charset=gb2312">').encode("gbk")
    text, encoding = decode_html(body, "text/html")
    assert encoding == "gb18030" and "湖南铁道" in text


def test_utf8_bytes_that_claim_gb2312_are_read_as_utf8() -> None:
    body = TEXT.format(meta='<meta charset="gb2312">').encode("utf-8")
    assert detect_encoding(body, "text/html; charset=gb2312") == "utf-8"


def test_header_beats_meta_for_non_utf8_bytes() -> None:
    body = TEXT.format(meta='<meta charset="big5">').encode("gbk")
    assert detect_encoding(body, "text/html; charset=GBK") == "gb18030"


def test_bom_wins_and_undecodable_bytes_never_raise() -> None:
    assert detect_encoding(codecs.BOM_UTF8 + b"abc") == "utf-8-sig"
    text, _ = decode_html(b"\xff\xfe\x00garbage\x81", None)
    assert isinstance(text, str)

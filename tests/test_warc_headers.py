from __future__ import annotations

import gzip

from crawler.extensions.warc_capture import reason_phrase, repair_headers


def test_chunked_transfer_encoding_is_renamed_and_length_set() -> None:
    headers, repairs = repair_headers([("Transfer-Encoding", "chunked"), ("Content-Type", "text/html")], b"hello")
    assert ("X-Orig-Transfer-Encoding", "chunked") in headers
    assert ("Content-Length", "5") in headers
    assert not any(name.lower() == "transfer-encoding" for name, _ in headers)
    assert repairs == ["transfer_encoding"]


def test_wrong_content_length_is_kept_as_x_orig() -> None:
    headers, repairs = repair_headers([("Content-Length", "999")], b"abc")
    assert ("X-Orig-Content-Length", "999") in headers and ("Content-Length", "3") in headers
    assert repairs == ["content_length"]


def test_content_encoding_checked_against_the_bytes() -> None:
    body = gzip.compress(b"payload")
    headers, repairs = repair_headers([("Content-Encoding", "gzip"), ("Content-Length", str(len(body)))], body)
    assert ("Content-Encoding", "gzip") in headers and repairs == []
    headers, repairs = repair_headers([("Content-Encoding", "gzip")], b"<html>not gzip</html>")
    assert ("X-Orig-Content-Encoding", "gzip") in headers and repairs == ["content_encoding"]


def test_repeated_headers_stay_separate_lines() -> None:
    headers, _ = repair_headers([("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")], b"")
    assert [v for n, v in headers if n == "Set-Cookie"] == ["a=1", "b=2"]


def test_reason_phrases() -> None:
    assert reason_phrase(200) == "OK" and reason_phrase(404) == "Not Found" and reason_phrase(299) == "Unknown"

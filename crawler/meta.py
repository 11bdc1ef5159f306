"""The request.meta keys and response flags the crawl's own components pass each other, in one place.

Scrapy's and scrapy-playwright's own keys (``playwright``, ``download_maxsize``, ``dont_retry``,
``handle_httpstatus_list`` …) keep their upstream names and are not repeated here.
"""

from __future__ import annotations

# Every WARC capture of a request (redirect hops included), as WarcRef dicts: WarcCaptureExtension
# appends, spiders and pipelines hand them to the post (PostItem.captures).
WARC_REFS = "warc_refs"
# Ask conditionally (If-None-Match / If-Modified-Since from what was archived) and remember this
# answer's validators for the next time: NotModifiedMiddleware and WarcCaptureExtension.
CONDITIONAL = "conditional"
# Set by WarcCaptureExtension when it cut a download at the size limit ("length").
TRUNCATED = "warc_truncated"
# A page rendered by a browser: its body is a DOM, archived as a resource record (crawler/net/browser.py).
RENDERED = "rendered"
# A response flag (or meta key) another renderer can set for the same.
RENDERED_DOM = "rendered_dom"
# A response flag: the body is the archived answer a 304 said was still current (NotModifiedMiddleware).
ARCHIVED = "archived"
# The WAF whose challenge answered this request (WafChallengeMiddleware).
BLOCKED = "blocked"
# Why the SSRF guard refused this request; counted once (SsrfGuardMiddleware).
SSRF_BLOCKED = "ssrf_blocked"

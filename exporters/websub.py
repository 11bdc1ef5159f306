"""WebSub (W3C Recommendation) publisher pings: tell the hub which topics changed after an export.

Only feeds whose bytes changed are announced, and only when both a hub and the public base URL
(the topic URLs subscribers know) are configured. A hub that fails is logged, never fatal: the
feeds are published either way and readers still poll.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable

logger = logging.getLogger(__name__)

TIMEOUT = 10.0


def ping(hub: str, topics: Iterable[str], user_agent: str = "feedarchiver") -> tuple[int, int]:
    """POST hub.mode=publish for each topic; returns (accepted, failed)."""
    accepted = failed = 0
    for topic in topics:
        data = urllib.parse.urlencode({"hub.mode": "publish", "hub.url": topic}).encode("ascii")
        request = urllib.request.Request(hub, data=data, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded", "User-Agent": user_agent})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                ok = 200 <= response.status < 300
        except (urllib.error.URLError, OSError) as exc:
            logger.warning("WebSub hub %s refused %s: %s", hub, topic, exc)
            ok = False
        accepted += ok
        failed += not ok
    if accepted or failed:
        logger.info("WebSub: %d topics announced to %s, %d failed", accepted, hub, failed)
    return accepted, failed

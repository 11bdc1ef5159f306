"""Golden files: every registered spider, run on saved pages, still makes exactly what it made before.

`python -m tests.golden.regenerate` rewrites them from the demo web (see tests/golden/harness.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.golden.harness import GOLDEN_DIR, run_case, spider_classes

SPIDERS = sorted(spider_classes())


def cases(spider: str) -> list[Path]:
    return sorted(p.parent for p in (GOLDEN_DIR / spider).glob("*/case.json"))


@pytest.mark.parametrize("spider", SPIDERS)
def test_spider_matches_its_golden_files(spider: str) -> None:
    found = cases(spider)
    assert found, f"spider {spider!r} has no golden files under {GOLDEN_DIR / spider}: add cases to regenerate.py"
    for case in found:
        expected = json.loads((case / "expected.json").read_text("utf-8"))
        assert run_case(case) == expected, f"{spider}/{case.name} differs from its golden file"


def test_golden_cases_cover_items_requests_and_errors() -> None:
    """The saved pages are meant to exercise every outcome, not only the happy path."""
    outcomes: set[str] = set()
    for spider in SPIDERS:
        for case in cases(spider):
            expected = json.loads((case / "expected.json").read_text("utf-8"))
            outcomes |= {"item" if "item" in o else "request" for o in expected["outputs"]}
            outcomes |= {key.removeprefix("error/") for key in expected["stats"] if key.startswith("error/")}
    assert {"item", "request", "blocked", "removed", "soft_404", "list_empty", "api_error",
            "feed_malformed"} <= outcomes

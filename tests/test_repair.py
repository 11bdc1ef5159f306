"""What a crash can leave undone is told apart from what is lost, and finished by the next crawl or by
`feedarchiver verify --repair`: a WARC left open, a finished WARC without its CDXJ, WARCs in no WACZ."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from crawler.archive.cdxj import cdxj_name
from tests.conftest import Crawl, run_cli


def _forget(data: Path, names: list[str]) -> None:
    """Files as a crash leaves them: deleted where they were written, unregistered for upload."""
    for name in names:
        for sub in ("indexes", "wacz"):
            (data / sub / name).unlink(missing_ok=True)
    with sqlite3.connect(data / "index.sqlite3") as conn:
        conn.executemany("DELETE FROM archive_files WHERE name = ?", [(name,) for name in names])


def _problems(stdout: str) -> list[str]:
    _, _, listed = stdout.partition("PROBLEMS (")
    return [line.strip() for line in listed.splitlines()[1:] if line.strip()]


def test_verify_tells_repairable_leftovers_and_repair_finishes_them(crawl: Crawl, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(crawl.data, data)
    warcs = sorted((data / "warc").glob("*.warc.gz"))
    assert len(warcs) >= 2
    # Killed after finishing a WARC, before indexing it and before packaging the crawl: no CDXJ and no
    # WACZ written, nothing of them registered for upload.
    gone = [data / "indexes" / cdxj_name(warcs[0].name), *(data / "wacz").glob("*.wacz")]
    # Killed while writing another (its records complete: the kill came between two of them).
    gone.append(data / "indexes" / cdxj_name(warcs[-1].name))
    warcs[-1].rename(warcs[-1].with_name(warcs[-1].name + ".open"))
    _forget(data, [path.name for path in gone] + [warcs[0].name, warcs[-1].name])

    before = run_cli("verify", "--data", str(data), "--config", str(crawl.config))
    assert before.returncode == 1
    problems = _problems(before.stdout)
    assert problems and all("(the next crawl repairs it" in line for line in problems), before.stdout
    assert any("left open by a crash" in line for line in problems)
    assert any("has no CDXJ index" in line for line in problems)
    assert f"{len(warcs)} in no WACZ yet" in before.stdout

    repaired = run_cli("verify", "--repair", "--data", str(data), "--config", str(crawl.config))
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert f"repaired 1 WARCs left open, indexed 2, packaged {len(warcs)} into a WACZ" in repaired.stdout
    assert (data / "warc" / warcs[-1].name).exists() and (data / "indexes" / cdxj_name(warcs[0].name)).exists()
    assert len(list((data / "wacz").glob("repair-*.wacz"))) == 1


def test_the_next_crawl_packages_what_a_killed_crawl_did_not(crawl: Crawl, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(crawl.data, data)
    _forget(data, [wacz.name for wacz in (data / "wacz").glob("*.wacz")])
    again = run_cli("crawl", "cyol", "--config", str(crawl.config), "--data", str(data))
    assert again.returncode == 0, again.stdout + again.stderr
    verify = run_cli("verify", "--data", str(data), "--config", str(crawl.config))
    assert verify.returncode == 0, verify.stdout

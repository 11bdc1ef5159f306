"""A crawl killed with SIGKILL while writing: the next crawl repairs the `.open` file it left."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.archive.warc import OPEN_SUFFIX, scan_complete_records
from crawler.demoweb import FEEDS, DemoWeb
from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.crawl


def record_ids(data: bytes) -> list[str]:
    return [r.rec_headers.get_header("WARC-Record-ID") for r in ArchiveIterator(io.BytesIO(data))]


def test_sigkill_mid_crawl_then_restart_keeps_every_earlier_record(tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = tmp_path / "sources.toml"
    with DemoWeb(latency=0.3) as web:  # slow answers: the crawl is still writing when it is killed
        config.write_text(web.sources_toml(), encoding="utf-8")
        # The feed sources: one spider, so one WARC being written at the kill.
        crawl = subprocess.Popen([sys.executable, "-m", "crawler", "crawl", *FEEDS, "--config", str(config),
                                  "--data", str(data)], cwd=ROOT, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                opened = list((data / "warc").glob(f"*{OPEN_SUFFIX}")) if (data / "warc").exists() else []
                if opened:
                    with open(opened[0], "rb") as fh:
                        if scan_complete_records(fh)[0] >= 9:
                            break
                assert crawl.poll() is None, "the crawl ended before it could be killed"
                time.sleep(0.05)
            os.kill(crawl.pid, signal.SIGKILL)
        finally:
            crawl.wait(timeout=30)
        assert crawl.returncode == -signal.SIGKILL
        (open_path,) = (data / "warc").glob(f"*{OPEN_SUFFIX}")
        left = open_path.read_bytes()
        records, good_end = scan_complete_records(io.BytesIO(left))
        kept = left[:good_end]
        # The kill may land between two records; make the file end inside one, as a kill during a write does.
        open_path.write_bytes(left + kept[len(kept) // 2: len(kept) * 3 // 4])

        web.latency = 0.0
        rerun = run_cli("crawl", "cyol", "--config", str(config), "--data", str(data))
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        assert "1 crashed files repaired" in rerun.stdout

    assert not list((data / "warc").glob(f"*{OPEN_SUFFIX}"))
    repaired = data / "warc" / open_path.name.removesuffix(OPEN_SUFFIX)
    assert repaired.read_bytes() == kept, "the repaired file is exactly the complete records the crash left"
    assert record_ids(repaired.read_bytes()) == record_ids(kept) and len(record_ids(kept)) == records
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(repaired)], capture_output=True,
                           text=True, check=False)
    assert check.returncode == 0, check.stdout
    assert (data / "indexes" / repaired.name.replace(".warc.gz", ".cdxj")).exists()
    # Every capture and digest the killed crawl put in the index still points at an intact record.
    verify = run_cli("verify", "--data", str(data), "--config", str(config))
    assert verify.returncode == 0, verify.stdout + verify.stderr

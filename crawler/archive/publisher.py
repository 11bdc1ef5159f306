"""What happens to WARC files once they are finished.

``ArchivePublisher``: a CDXJ index per WARC (DATA/indexes), a WACZ per crawl (DATA/wacz), and the
upload of all three to remote storage, checked, before an optional local deletion. Every finished
file is registered in the index store first, so an upload that fails is retried on the next run.
"""

from __future__ import annotations

import logging
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crawler.archive.cdxj import cdxj_name, write_cdxj
from crawler.archive.wacz import WaczPage, write_wacz
from crawler.archive.warc import repair_open_files, written_by_another_live_process
from crawler.errors import StorageError
from crawler.index import ArchiveLog
from crawler.storage.objects import ObjectStore, sha256_file

logger = logging.getLogger(__name__)

# Local directory (under DATA) and remote key prefix of each kind of archive file.
SUBDIRS = {"warc": "warc", "cdxj": "indexes", "wacz": "wacz"}


@dataclass
class RepairReport:
    repaired: list[str] = field(default_factory=list)  # `.open` files finished
    indexed: list[str] = field(default_factory=list)  # WARCs given their CDXJ
    packaged: list[str] = field(default_factory=list)  # WARCs put into a WACZ


@dataclass
class UploadReport:
    uploaded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)


class ArchivePublisher:
    def __init__(self, data: Path, store: ArchiveLog, *, warc_dir: Path | None = None,
                 storage: ObjectStore | None = None, delete_local: bool = False, stats: Any = None) -> None:
        self.dirs = {kind: data / sub for kind, sub in SUBDIRS.items()}
        if warc_dir is not None:
            self.dirs["warc"] = warc_dir
        self.store = store
        self.storage = storage
        self.delete_local = delete_local and storage is not None
        self.stats = stats

    def _inc(self, key: str, count: int = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(key, count)

    def _register(self, kind: str, path: Path) -> None:
        self.store.add_archive_file(kind, path.name, path.stat().st_size, sha256_file(path))

    def index_warc(self, warc: Path) -> Path:
        """Write the WARC's CDXJ and register both files for upload."""
        cdxj = write_cdxj(warc, self.dirs["cdxj"])
        self._register("warc", warc)
        self._register("cdxj", cdxj)
        self._inc("archive/cdxj")
        logger.info("Indexed %s into %s", warc.name, cdxj.name)
        return cdxj

    def unindexed_warcs(self) -> list[Path]:
        """Finished WARCs without a CDXJ (a crash came between closing and indexing)."""
        registered = {f.name for f in self.store.archived_files() if f.kind == "warc"}
        return [path for path in sorted(self.dirs["warc"].glob("*.warc.gz"))
                if path.name not in registered or not (self.dirs["cdxj"] / cdxj_name(path.name)).exists()]

    def unpackaged_warcs(self) -> list[Path]:
        """Finished WARCs in no WACZ (a crash came between closing them and packaging the crawl), but
        those of a crawl still running on this host (its WARC names carry its PID), which packages
        its own."""
        packaged: set[str] = set()
        for wacz in sorted(self.dirs["wacz"].glob("*.wacz")) if self.dirs["wacz"].exists() else []:
            try:
                with zipfile.ZipFile(wacz) as archive:
                    packaged.update(Path(name).name for name in archive.namelist() if name.startswith("archive/"))
            except (OSError, zipfile.BadZipFile) as exc:
                logger.warning("Cannot read %s: %s", wacz.name, exc)
        return [path for path in sorted(self.dirs["warc"].glob("*.warc.gz"))
                if path.name not in packaged and not written_by_another_live_process(path.name)]

    def repair(self, *, software: str) -> RepairReport:
        """What a crash can leave undone, done: `.open` files cut back and finished, finished WARCs
        indexed, WARCs in no WACZ packaged (into one WACZ named for the repair)."""
        report = RepairReport()
        if self.dirs["warc"].exists():
            report.repaired = [r.path.name for r in repair_open_files(self.dirs["warc"]) if not r.damaged]
        for warc in self.unindexed_warcs():
            self.index_warc(warc)
            report.indexed.append(warc.name)
        if orphans := self.unpackaged_warcs():
            stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
            wacz = self.package(f"repair-{stamp}", orphans, [], title=f"WARCs packaged by verify --repair at {stamp}",
                                software=software)
            report.packaged = [w.name for w in orphans] if wacz is not None else []
        return report

    def package(self, name: str, warcs: list[Path], pages: list[WaczPage], *, title: str, software: str) -> Path | None:
        """One WACZ of a crawl's WARCs (indexed already) and the pages it archived."""
        warcs = [w for w in warcs if w.exists()]
        if not warcs:
            return None
        cdxj = [self.dirs["cdxj"] / cdxj_name(w.name) for w in warcs]
        wacz = write_wacz(self.dirs["wacz"] / f"{name}.wacz", warcs, cdxj, pages, title=title, software=software)
        self._register("wacz", wacz)
        self._inc("archive/wacz")
        logger.info("Packaged %d WARCs and %d pages into %s", len(warcs), len(pages), wacz.name)
        return wacz

    def upload_pending(self) -> UploadReport:
        """Upload every registered file not uploaded yet (this run's and earlier failures)."""
        report = UploadReport()
        if self.storage is None:
            return report
        for entry in self.store.archived_files(pending=True):
            path = self.dirs.get(entry.kind, self.dirs["warc"]) / entry.name
            key = f"{SUBDIRS.get(entry.kind, entry.kind)}/{entry.name}"
            try:
                if not path.exists():
                    raise StorageError(f"{path} is gone before it was uploaded")
                url = self.storage.upload(path, key)
            except StorageError as exc:
                self.store.mark_upload_failed(entry.name, str(exc))
                report.failed[entry.name] = str(exc)
                self._inc("archive/upload_failed")
                logger.warning("Upload of %s failed, kept locally for the next run: %s", entry.name, exc)
                continue
            self.store.mark_uploaded(entry.name, url, deleted_locally=self.delete_local)
            report.uploaded.append(entry.name)
            self._inc("archive/uploaded")
            self._inc("archive/uploaded_bytes", entry.size)
            if self.delete_local:
                path.unlink()
                report.deleted.append(entry.name)
                self._inc("archive/deleted_locally")
        if report.uploaded or report.failed:
            logger.info("Uploaded %d archive files to %s (%d failed)", len(report.uploaded), self.storage.url,
                        len(report.failed))
        return report

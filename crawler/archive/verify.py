"""`feedarchiver verify`: is the data directory consistent? WARCs, index <-> WARC, CDXJ, media, feeds.

Every problem is one line naming the file (and offset) at fault; the command exits non-zero on any.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from sqlalchemy import MetaData, Table, inspect, select
from warcio.exceptions import ArchiveLoadFailed

from crawler.archive.cdxj import parse_cdxj
from crawler.archive.reader import ArchiveReader
from crawler.archive.warc import DAMAGED_SUFFIX, OPEN_SUFFIX, is_locked, iter_records
from crawler.errors import StorageError
from crawler.index import SqlIndexStore
from crawler.storage.objects import ObjectStore

logger = logging.getLogger(__name__)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class RecordInfo:
    rec_type: str
    url: str
    record_id: str
    date: str
    digest: str | None
    truncated: str | None
    refers_to: str | None


@dataclass
class VerifyReport:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        lines = list(self.notes)
        if self.problems:
            lines.append(f"PROBLEMS ({len(self.problems)}):")
            lines.extend(f"  {problem}" for problem in self.problems)
        else:
            lines.append("OK: no problems found")
        return "\n".join(lines)


class ArchiveVerifier:
    def __init__(self, data: Path, store: SqlIndexStore | None, storage: ObjectStore | None = None, *,
                 wacz: bool = False) -> None:
        self.data = data
        self.wacz = wacz  # crawls package their WARCs: each local WARC must be in some WACZ
        self.store = store
        self.storage = storage
        self.warc_dir = data / "warc"
        self.reader = ArchiveReader(self.warc_dir, storage)
        self.records: dict[tuple[str, int], RecordInfo] = {}
        self.by_id: dict[str, tuple[str, int, RecordInfo]] = {}
        self.report = VerifyReport()

    def problem(self, message: str) -> None:
        self.report.problems.append(message)

    def run(self) -> VerifyReport:
        self.check_warcs()
        if self.store is not None:
            self.check_index()
        self.check_cdxj()
        if self.wacz:
            self.check_wacz()
        self.check_revisits()
        self.check_media()
        self.check_feeds()
        return self.report

    # -- WARC files ------------------------------------------------------------------------------------

    def check_warcs(self) -> None:
        files = sorted(self.warc_dir.glob("*.warc.gz")) if self.warc_dir.exists() else []
        types: Counter[str] = Counter()
        truncated = 0
        for path in files:
            try:
                self._scan(path, path.name, types)
            except (ArchiveLoadFailed, OSError, ValueError) as exc:
                self.problem(f"{path.name}: unreadable: {exc}")
        for path in sorted(self.warc_dir.glob(f"*{OPEN_SUFFIX}")) if self.warc_dir.exists() else []:
            if is_locked(path):
                self.report.notes.append(f"{path.name}: being written by a running crawl")
                continue
            self.problem(f"{path.name}: left open by a crash (the next crawl repairs it)")
            # Its complete records are the archive's too (what refers to them is not lost); reading stops
            # at the record a kill cut short, which the repair cuts off.
            with contextlib.suppress(ArchiveLoadFailed, OSError, ValueError, EOFError):
                self._scan(path, path.name.removesuffix(OPEN_SUFFIX), types)
        for path in sorted(self.warc_dir.glob(f"*{DAMAGED_SUFFIX}")) if self.warc_dir.exists() else []:
            self.problem(f"{path.name}: a crashed file with no complete record, set aside")
        truncated = sum(1 for info in self.records.values() if info.truncated is not None)
        summary = ", ".join(f"{count} {kind}" for kind, count in sorted(types.items()))
        self.report.notes.append(f"WARC files: {len(files)} local, {sum(types.values())} records ({summary or 'none'})"
                                 + (f"; {truncated} truncated (partial bodies kept)" if truncated else ""))

    def _scan(self, path: Path, name: str, types: Counter[str]) -> None:
        """Every record of one file, remembered under ``name`` (a `.open` file's finished name)."""
        with open(path, "rb") as fh:
            first = True
            for offset, _length, record in iter_records(fh):
                if first and record.rec_type != "warcinfo":
                    self.problem(f"{name}: the first record is {record.rec_type}, not warcinfo")
                first = False
                if record.digest_ok is False:
                    self.problem(f"{name} at {offset}: {record.rec_type} {record.url}: " + "; ".join(record.problems))
                headers = record.headers
                info = RecordInfo(
                    rec_type=record.rec_type, url=record.url, record_id=record.record_id, date=record.date,
                    digest=headers.get_header("WARC-Payload-Digest"),
                    truncated=headers.get_header("WARC-Truncated"),
                    refers_to=headers.get_header("WARC-Refers-To"),
                )
                self.records[(name, offset)] = info
                self.by_id[info.record_id] = (name, offset, info)
                types[record.rec_type] += 1

    def _check_ref(self, what: str, warc_file: str, offset: int, length: int, url: str, record_id: str,
                   types: tuple[str, ...]) -> None:
        info = self.records.get((warc_file, offset))
        if info is None and (self.warc_dir / warc_file).exists():
            self.problem(f"{what} points at {warc_file} offset {offset}, where no record starts")
            return
        if info is None:
            try:
                record = self.reader.read(warc_file, offset, length)
            except (OSError, StorageError, ArchiveLoadFailed, ValueError) as exc:
                self.problem(f"{what} points at {warc_file} offset {offset}: cannot read it ({exc})")
                return
            if record.digest_ok is False:
                self.problem(f"{what}: record at {warc_file} offset {offset} fails its digests")
            info = RecordInfo(record.rec_type, record.url, record.record_id, record.date,
                              record.headers.get_header("WARC-Payload-Digest"), None,
                              record.headers.get_header("WARC-Refers-To"))
            self.by_id.setdefault(info.record_id, (warc_file, offset, info))
        if info.url != url or info.record_id != record_id or info.rec_type not in types:
            self.problem(f"{what} expects {'/'.join(types)} {record_id} of {url} at {warc_file} offset {offset}, "
                         f"finds {info.rec_type} {info.record_id} of {info.url}")

    # -- index <-> WARC ------------------------------------------------------------------------------

    def check_index(self) -> None:
        assert self.store is not None
        captures = self.store.all_captures()
        for ref in captures:
            self._check_ref(f"capture of {ref['url']}", ref["warc_file"], ref["offset"], ref["length"], ref["url"],
                            ref["record_id"], ("response", "revisit", "resource"))
        payloads = self.store.payload_records()
        for payload in payloads:
            before = len(self.report.problems)
            self._check_ref(f"digest index entry {payload.digest}", payload.warc_file, payload.offset,
                            payload.length, payload.url, payload.record_id, ("response",))
            found = self.by_id.get(payload.record_id)
            if len(self.report.problems) == before and found is not None and found[2].digest != payload.digest:
                self.problem(f"digest index entry {payload.digest} points at a record with digest {found[2].digest}")
        files = self.store.archived_files()
        # Uploaded counts as kept: boxes sharing one index each hold only their own files on disk.
        missing = [f.name for f in files if not f.deleted_locally and not f.uploaded_to
                   and not self._local(f.kind, f.name).exists()]
        for name in missing:
            self.problem(f"archive file {name} is registered but neither on disk nor uploaded")
        uploaded = sum(1 for f in files if f.uploaded_at is not None)
        pending = [f for f in files if f.uploaded_at is None and f.last_error]
        for entry in pending:
            self.report.notes.append(f"{entry.name}: upload pending after an error: {entry.last_error}")
        self.report.notes.append(f"Index: {len(captures)} post captures and {len(payloads)} digest index entries "
                                 f"checked; {len(files)} archive files registered, {uploaded} uploaded")

    def _local(self, kind: str, name: str) -> Path:
        return self.data / {"warc": "warc", "cdxj": "indexes", "wacz": "wacz"}.get(kind, kind) / name

    # -- CDXJ ------------------------------------------------------------------------------------------

    def check_cdxj(self) -> None:
        directory = self.data / "indexes"
        files = sorted(directory.glob("*.cdxj")) if directory.exists() else []
        lines = 0
        for path in files:
            try:
                with open(path, encoding="utf-8") as fh:
                    entries = list(parse_cdxj(fh))
            except (OSError, ValueError) as exc:
                self.problem(f"{path.name}: unreadable CDXJ: {exc}")
                continue
            for entry in entries:
                lines += 1
                info = self.records.get((entry.filename, entry.offset))
                if info is None and not (self.warc_dir / entry.filename).exists():
                    continue  # uploaded and deleted locally: the index store's references cover it
                if info is None or info.url != entry.url:
                    self.problem(f"{path.name}: {entry.url} at {entry.filename} offset {entry.offset} "
                                 f"finds {info.url if info else 'no record'}")
        warcs = {name for name, _ in self.records}
        indexed = {path.name.removesuffix(".cdxj") for path in files}
        for name in sorted(warcs):
            if name.removesuffix(".warc.gz") not in indexed:
                self.problem(f"{name} has no CDXJ index in {directory}: its crawl ended before indexing it "
                             "(the next crawl repairs it, or verify --repair)")
        self.report.notes.append(f"CDXJ: {len(files)} files, {lines} lines checked")

    # -- WACZ ----------------------------------------------------------------------------------------

    def check_wacz(self) -> None:
        packaged: set[str] = set()
        directory = self.data / "wacz"
        files = sorted(directory.glob("*.wacz")) if directory.exists() else []
        for path in files:
            try:
                with zipfile.ZipFile(path) as archive:
                    packaged.update(Path(n).name for n in archive.namelist() if n.startswith("archive/"))
            except (OSError, zipfile.BadZipFile) as exc:
                self.problem(f"{path.name}: unreadable WACZ: {exc}")
        # A package, not the record: replay and the index work from the WARCs and their CDXJ, so a WARC
        # a killed crawl never packaged is told, not counted as a problem.
        unpackaged = sorted({name for name, _ in self.records} - packaged)
        self.report.notes.append(f"WACZ: {len(files)} files, {len(packaged)} WARCs packaged"
                                 + (f"; {len(unpackaged)} in no WACZ yet, their crawl ended before packaging them "
                                    f"(the next crawl or verify --repair packages them): {', '.join(unpackaged[:5])}"
                                    if unpackaged else ""))

    # -- revisits ------------------------------------------------------------------------------------

    def check_revisits(self) -> None:
        count = 0
        for (name, offset), info in self.records.items():
            if info.rec_type != "revisit":
                continue
            count += 1
            target = self.by_id.get(info.refers_to or "")
            if target is None:
                if not self.storage:
                    self.problem(f"{name} at {offset}: revisit of {info.url} refers to {info.refers_to}, "
                                 "which is in no local WARC")
                continue
            original = target[2]
            if original.rec_type != "response":
                self.problem(f"{name} at {offset}: revisit refers to a {original.rec_type}, not a response")
            elif original.digest != info.digest:
                self.problem(f"{name} at {offset}: revisit digest {info.digest} differs from its original's "
                             f"{original.digest}")
        self.report.notes.append(f"Revisits: {count}, each refers to a response with the same payload"
                                 if count else "Revisits: none")

    # -- media and feeds -----------------------------------------------------------------------------

    def check_media(self) -> None:
        media = self.data / "media"
        files = [p for p in media.rglob("*") if p.is_file()] if media.exists() else []
        named = 0
        by_hash: dict[str, Path] = {}
        for path in files:
            stem = path.name.split(".", 1)[0].lower()
            if not _SHA256.match(stem):
                continue
            named += 1
            by_hash[stem] = path
            if _sha256(path) != stem:
                self.problem(f"media file {path.relative_to(self.data)} does not hash to its name")
        rows = self._media_rows()
        if rows and not media.exists():
            # Pictures kept elsewhere (a remote media store): nothing local to check them against.
            self.report.notes.append(f"Media: {len(rows)} index rows, no local {media}")
            return
        for row in rows:
            digest = str(row.get("sha256") or "").lower()
            relative = row.get("path")
            if relative and not (media / str(relative)).exists() and not (self.data / str(relative)).exists():
                self.problem(f"media row {digest or relative}: file {relative} is missing")
            elif digest and not relative and digest not in by_hash:
                self.problem(f"media row {digest}: no file named by that hash under {media}")
        self.report.notes.append(f"Media: {len(files)} files ({named} named by their SHA-256)"
                                 + (f", {len(rows)} index rows" if rows else ""))

    def _media_rows(self) -> list[dict[str, Any]]:
        """Rows of a `media` table, if the index has one (written by the image pipeline)."""
        if self.store is None or not inspect(self.store.engine).has_table("media"):
            return []
        table = Table("media", MetaData(), autoload_with=self.store.engine)
        if "sha256" not in table.c and "path" not in table.c:
            return []
        with self.store.engine.connect() as conn:
            return [dict(row) for row in conn.execute(select(table)).mappings()]

    def check_feeds(self) -> None:
        feeds = self.data / "feeds"
        documents = sorted(feeds.rglob("*.atom")) if feeds.exists() else []
        for path in documents:
            try:
                etree.parse(str(path))
            except etree.XMLSyntaxError as exc:
                self.problem(f"feed {path.relative_to(self.data)} is not well-formed XML: {exc}")
        self.report.notes.append(f"Feeds: {len(documents)} Atom documents parse")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()

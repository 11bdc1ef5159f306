"""WACZ 1.1.1 packages: one crawl's WARCs, their CDXJ index and the pages it archived, in one ZIP that
ReplayWeb.page opens as is (https://specs.webrecorder.net/wacz/1.1.1/)."""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from crawler.archive.cdxj import parse_cdxj
from crawler.storage.files import written_aside

WACZ_VERSION = "1.1.1"
_CHUNK = 1 << 20
RUN_BYTES = 2 << 20  # index lines sorted in memory at once while packaging


@dataclass(frozen=True)
class WaczPage:
    """One entry of pages/pages.jsonl: a post's page as archived."""

    url: str
    ts: str  # the capture's WARC-Date (ISO 8601, UTC)
    title: str


def _entry(path: str, date: datetime, *, compress: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date.timetuple()[:6])
    # WARCs must stay STORED so a reader can seek into them; small text files may be deflated.
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    return info


def _resource(path: str, data_hash: str, size: int) -> dict[str, object]:
    # Frictionless names are lower-case letters, digits and -._/ only.
    name = re.sub(r"[^-a-z0-9._/]", "-", os.path.basename(path).lower())
    return {"name": name, "path": path, "hash": f"sha256:{data_hash}", "bytes": size}


def _sorted_runs(cdxj: Path, scratch: Path) -> list[Path]:
    """One WARC's index lines as the package writes them, in sorted runs of at most RUN_BYTES each
    (scratch files): a WARC of a gigabyte holds ~100,000 records, too many to sort in memory at once."""
    runs: list[Path] = []
    lines: list[str] = []
    size = 0

    def spill() -> None:
        lines.sort()
        run = scratch / f"{len(list(scratch.iterdir()))}.cdx"
        run.write_text("".join(lines), encoding="utf-8")
        runs.append(run)
        lines.clear()

    with open(cdxj, encoding="utf-8") as fh:
        for line in parse_cdxj(fh):
            lines.append(f"{line.urlkey} {line.timestamp} {json.dumps(line.fields, ensure_ascii=False)}\n")
            size += len(lines[-1])
            if size >= RUN_BYTES:
                spill()
                size = 0
    if lines:
        spill()
    return runs


def _page_lines(pages: list[WaczPage]) -> Iterator[str]:
    yield json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}) + "\n"
    seen: set[tuple[str, str]] = set()
    for page in pages:
        if (page.url, page.ts) in seen:
            continue
        seen.add((page.url, page.ts))
        page_id = hashlib.sha1(f"{page.ts} {page.url}".encode()).hexdigest()[:20]
        yield json.dumps({"id": page_id, "url": page.url, "ts": page.ts, "title": page.title},
                         ensure_ascii=False) + "\n"


def _write_lines(wacz: zipfile.ZipFile, entry: zipfile.ZipInfo, lines: Iterable[str]) -> dict[str, object]:
    """Stream text lines into a package entry; its resource record (hash, size) as written."""
    digest, size = hashlib.sha256(), 0
    with wacz.open(entry, "w", force_zip64=True) as dst:
        for line in lines:
            data = line.encode("utf-8")
            digest.update(data)
            size += len(data)
            dst.write(data)
    return _resource(entry.filename, digest.hexdigest(), size)


def _write_index(wacz: zipfile.ZipFile, entry: zipfile.ZipInfo, cdxj_files: list[Path],
                 scratch: Path) -> dict[str, object]:
    """indexes/index.cdx: every line of every WARC's index in one sorted order, merged from sorted runs
    and streamed into the package: memory holds one run, whatever the size of the crawl."""
    runs = [run for path in cdxj_files for run in _sorted_runs(path, scratch)]
    with contextlib.ExitStack() as stack:
        readers = [stack.enter_context(open(run, encoding="utf-8", newline="")) for run in runs]
        # Equal lines are equal bytes, so the merge writes exactly what sorting all lines at once would.
        return _write_lines(wacz, entry, heapq.merge(*readers))


def write_wacz(target: Path, warcs: list[Path], cdxj_files: list[Path], pages: list[WaczPage], *,
               title: str, software: str, description: str = "") -> Path:
    """Package ``warcs`` (with their indexes) and ``pages`` into ``target``; written aside, then renamed."""
    now = datetime.now(UTC)
    resources: list[dict[str, object]] = []
    target.parent.mkdir(parents=True, exist_ok=True)
    # Exits run in reverse: the zip is closed, the scratch runs removed, then the package renamed in place.
    with written_aside(target) as tmp, \
            tempfile.TemporaryDirectory(prefix=".cdx-", dir=target.parent) as scratch, \
            zipfile.ZipFile(tmp, "w", allowZip64=True) as wacz:
        for warc in warcs:
            path = f"archive/{warc.name}"
            digest, size = hashlib.sha256(), 0
            with open(warc, "rb") as src, wacz.open(_entry(path, now, compress=False), "w",
                                                   force_zip64=True) as dst:
                while chunk := src.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    dst.write(chunk)
            resources.append(_resource(path, digest.hexdigest(), size))
        resources.append(_write_index(wacz, _entry("indexes/index.cdx", now, compress=True), cdxj_files,
                                      Path(scratch)))
        resources.append(_write_lines(wacz, _entry("pages/pages.jsonl", now, compress=True), _page_lines(pages)))
        package: dict[str, object] = {
            "profile": "data-package",
            "resources": resources,
            "title": title,
            "created": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "wacz_version": WACZ_VERSION,
            "software": software,
        }
        if description:
            package["description"] = description
        package_bytes = json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")
        wacz.writestr(_entry("datapackage.json", now, compress=True), package_bytes)
        digest_doc = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest()}
        wacz.writestr(_entry("datapackage-digest.json", now, compress=True),
                      json.dumps(digest_doc, indent=2).encode("utf-8"))
    return target

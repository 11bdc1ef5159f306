"""Finished WARC, CDXJ and WACZ files go to S3 (moto's server on loopback): checked, then deleted
locally when configured; an upload that fails keeps the file and is retried on the next run."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from crawler.demoweb import DemoWeb
from crawler.index import SqlIndexStore, index_url_for
from tests.conftest import S3Server, run_cli

pytestmark = pytest.mark.crawl

BUCKET = "feedarchiver-test"
THRESHOLD = 16 * 1024  # WARCs are larger: multipart; CDXJ files are smaller: one PUT


def local_files(data: Path) -> list[str]:
    return sorted(p.name for sub in ("warc", "indexes", "wacz") for p in (data / sub).glob("*") if p.is_file())


def test_upload_check_delete_and_retry(s3_server: S3Server, demo_web: DemoWeb, tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = tmp_path / "sources.toml"
    settings = (f'archive_url = "s3://{BUCKET}/crawls"\n'
                f's3_endpoint_url = "{s3_server.endpoint}"\n'
                f"archive_multipart_threshold = {THRESHOLD}\n"
                "archive_delete_local = true\n")
    demo = demo_web.sources_toml()
    assert "[settings]\n" in demo  # the demo's own settings table: add to it, a second one is invalid TOML
    config.write_text(demo.replace("[settings]\n", "[settings]\n" + settings, 1), encoding="utf-8")

    def crawl() -> str:
        result = run_cli("crawl", "cyol", "--config", str(config), "--data", str(data), env=s3_server.env)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    # The bucket does not exist yet: every upload fails, and every file stays.
    first = crawl()
    assert "0 files uploaded, 3 uploads failed (kept, retried next run)" in first
    kept = local_files(data)
    assert len(kept) == 3 and any(n.endswith(".warc.gz") for n in kept) and any(n.endswith(".wacz") for n in kept)

    client = s3_server.client()
    client.create_bucket(Bucket=BUCKET)
    second = crawl()
    assert "6 files uploaded" in second and "failed" not in second
    assert local_files(data) == [], "checked uploads are deleted locally"

    store = SqlIndexStore(index_url_for(data))
    try:
        files = store.archived_files()
    finally:
        store.close()
    assert {f.name for f in files} >= set(kept) and len(files) == 6
    subdir = {"warc": "warc", "cdxj": "indexes", "wacz": "wacz"}
    for entry in files:
        key = f"crawls/{subdir[entry.kind]}/{entry.name}"
        assert entry.uploaded_to == f"s3://{BUCKET}/{key}" and entry.deleted_locally
        body = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        assert hashlib.sha256(body).hexdigest() == entry.sha256 and len(body) == entry.size
        etag = client.head_object(Bucket=BUCKET, Key=key)["ETag"]
        assert etag.endswith('-1"') == (entry.size >= THRESHOLD), (entry.name, entry.size, etag)

    # The feed is unchanged (304): its archived copy now lives only in S3, and is read from there.
    third = crawl()
    assert "cyol: 4 posts, 0 errors" in third and "not-modified 1" in third
    verify = run_cli("verify", "--data", str(data), "--config", str(config), env=s3_server.env)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "9 uploaded" in verify.stdout

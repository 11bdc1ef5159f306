"""Finished WARC, CDXJ and WACZ files go to S3 (moto's server on loopback): checked, then deleted
locally when configured; an upload that fails keeps the file and is retried on the next run."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from crawler.demoweb import DemoWeb
from crawler.index import SqlIndexStore
from tests.conftest import S3Server, run_cli, sqlite_index

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

    store = SqlIndexStore(sqlite_index(data))
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


def test_feeds_publish_sends_what_changed_and_deletes_what_is_gone(s3_server: S3Server, tmp_path: Path) -> None:
    import os
    import shutil

    from exporters.s3publish import STATE_FILE, publish

    client = s3_server.client()
    client.create_bucket(Bucket="fa-published")
    data = tmp_path / "data"
    files = {"feeds/all.atom": b"<feed/>", "feeds/sources/a.json": b"{}", "hexo/_posts/x.md": b"x",
             "hexo/_posts/y.md": b"y", "feeds/.export-state.json": b"{}"}
    for rel, body in files.items():
        (data / rel).parent.mkdir(parents=True, exist_ok=True)
        (data / rel).write_bytes(body)

    def keys() -> set[str]:
        return {o["Key"] for o in client.list_objects_v2(Bucket="fa-published").get("Contents", [])}

    first = publish(data, "s3://fa-published/site", client=client)
    assert sorted(first.uploaded) == ["site/feeds/all.atom", "site/feeds/sources/a.json", "site/hexo/_posts/x.md",
                                      "site/hexo/_posts/y.md"], "dot files are state, not published"
    head = client.head_object(Bucket="fa-published", Key="site/feeds/all.atom")
    assert head["ContentType"] == "application/atom+xml; charset=utf-8"
    again = publish(data, "s3://fa-published/site", client=client)
    assert (again.uploaded, again.deleted, again.unchanged) == ([], [], 4)

    (data / "feeds/all.atom").write_bytes(b"<feed>new</feed>")
    os.utime(data / "hexo/_posts/x.md", ns=(1, 1))  # touched, same bytes: compared, not sent
    (data / "hexo/_posts/y.md").unlink()  # e.g. the post of a story merged into another
    third = publish(data, "s3://fa-published/site", client=client)
    assert (third.uploaded, third.deleted) == (["site/feeds/all.atom"], ["site/hexo/_posts/y.md"])
    assert keys() == {"site/feeds/all.atom", "site/feeds/sources/a.json", "site/hexo/_posts/x.md"}
    assert client.get_object(Bucket="fa-published", Key="site/feeds/all.atom")["Body"].read() == b"<feed>new</feed>"

    # Without the state (another box, a lost data dir) one listing says what the bucket holds.
    fresh = tmp_path / "fresh"
    shutil.copytree(data, fresh)
    (fresh / STATE_FILE).unlink()
    client.put_object(Bucket="fa-published", Key="site/feeds/stale.atom", Body=b"<feed/>")
    client.put_object(Bucket="fa-published", Key="site/other/kept.txt", Body=b"not ours")
    synced = publish(fresh, "s3://fa-published/site", client=client)
    assert (synced.uploaded, synced.deleted) == ([], ["site/feeds/stale.atom"])
    assert "site/other/kept.txt" in keys()

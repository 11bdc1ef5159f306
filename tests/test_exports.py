"""JSON Feed, RSS and Hexo beside the Atom feeds, from the session's crawl."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from exporters.hexo import HexoConfig, HexoExporter
from exporters.model import Entry
from tests.conftest import Crawl, with_settings

SEED = Path(__file__).parent / "data" / "seed" / "000_304cee3c01d5b6a4.txt"
PROXY = "https://cors.zfour.workers.dev/?"


def test_hexo_renders_the_seed_byte_for_byte() -> None:
    seed = SEED.read_text(encoding="utf-8")
    body = seed.split("<div>   \n", 1)[1].split("  \n</div>", 1)[0].replace(PROXY, "")
    entry = Entry(
        key="304cee3c01d5b6a4ffff", id="tag:x,2026:story/304cee3c01d5b6a4ffff",
        title="机械行业高铁装备制造职业教育产教联盟年会亮点频频",
        published=datetime(2021, 12, 11, 12, 53, 40, tzinfo=UTC),
        updated=datetime(2021, 12, 11, 12, 53, 40, tzinfo=UTC), changed=datetime(2021, 12, 11, 12, 53, 40, tzinfo=UTC),
        author=None, source_name="中国青年报客户端",
        content_html=body.replace(' referrerpolicy="no-referrer"', ""), summary="", alternate="http://x/",
        categories=["新媒体", "趣头条", "分类"],
        lead_image="http://static.1sapp.com/qupost/img/2021/12/11/6e854da20a9f0f2cbf60de9ca87ca8cc.jpeg",
    )
    exporter = HexoExporter(HexoConfig(image_proxy=PROXY))
    assert exporter.render(entry) == seed


def test_hexo_proxies_only_pictures_that_were_not_archived() -> None:
    media = "https://feeds.example.org/media/"
    entry = Entry(
        key="0123456789abcdef0123", id="tag:x,2026:story/0123456789abcdef0123", title="标题",
        published=datetime(2026, 11, 21, tzinfo=UTC), updated=datetime(2026, 11, 21, tzinfo=UTC),
        changed=datetime(2026, 11, 21, tzinfo=UTC), author=None,
        source_name=None, summary="", alternate="http://x/", categories=["新媒体", "趣头条", "科技"],
        content_html=(f'<p><img src="{media}ab/cd/abcd.png" data-original-src="http://cdn/a.png"></p>'
                      '<p><img src="http://cdn/b.png" referrerpolicy="no-referrer"></p>'),
        lead_image=f"{media}ab/cd/abcd.png",
    )
    text = HexoExporter(HexoConfig(image_proxy=PROXY, media_url=media)).render(entry)
    assert f"headimg: '{media}ab/cd/abcd.png'" in text and f'src="{media}ab/cd/abcd.png"' in text
    assert f'src="{PROXY}http://cdn/b.png"' in text


@pytest.mark.crawl
def test_hexo_posts_one_per_story_with_front_matter(crawl: Crawl) -> None:
    store = crawl.store()
    try:
        stories = store.stories()
    finally:
        store.close()
    files = sorted((crawl.data / "hexo" / "_posts").glob("*.md"))
    assert len(files) == len(stories) < len(crawl.posts())  # near-duplicates are one story, one post
    by_key = {s.key[:16]: s.representative for s in stories}
    for path in files:
        text = path.read_text(encoding="utf-8")
        _, front, body = text.split("---\n", 2)
        fields = dict(line.split(": ", 1) for line in front.splitlines() if ": " in line)
        post = by_key[path.stem]
        assert fields["title"] == "'" + post.title.replace("'", "''") + "'"
        assert fields["comments"] == "false" and fields["date"].endswith(" GMT")
        assert fields["author"] == post.categories[1]
        assert [line[3:] for line in front.splitlines() if line.startswith(" - ")] == post.categories
        assert body.startswith("\n<div>   \n") and body.endswith("  \n</div>\n            ")
        assert body.count("\n") == 4, "the body stays on one line"


@pytest.mark.crawl
def test_json_feed_and_rss_mirror_the_atom_feed(crawl: Crawl) -> None:
    feeds = crawl.data / "feeds"
    atom = feedparser.parse((feeds / "all.atom").read_bytes())
    document = json.loads((feeds / "all.json").read_text(encoding="utf-8"))
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert [item["id"] for item in document["items"]] == [e.id for e in atom.entries]
    for item in document["items"]:
        assert item["content_html"] and item["url"].startswith("http")
        assert datetime.fromisoformat(item["date_published"]).tzinfo is not None
    rss = feedparser.parse((feeds / "all.rss").read_bytes())
    assert rss.bozo == 0 and rss.version == "rss20"
    assert [e.id for e in rss.entries] == [e.id for e in atom.entries]
    for source in ("qutoutiao-tech", "zaker-news", "cyol"):
        assert (feeds / "sources" / f"{source}.json").exists()
        assert feedparser.parse((feeds / "sources" / f"{source}.rss").read_bytes()).bozo == 0


@pytest.mark.crawl
def test_websub_hub_hears_of_changed_feeds_only(crawl: Crawl, tmp_path: Path) -> None:
    import shutil
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs

    pings: list[dict[str, list[str]]] = []

    class Hub(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            pings.append(parse_qs(self.rfile.read(length).decode()))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    hub = ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    threading.Thread(target=hub.serve_forever, daemon=True).start()
    try:
        data = tmp_path / "data"
        shutil.copytree(crawl.data, data)
        config = tmp_path / "sources.toml"
        config.write_text(with_settings(crawl.config.read_text(encoding="utf-8"),
                                        public_base_url="https://feeds.example.org",
                                        websub_hub=f"http://127.0.0.1:{hub.server_address[1]}/hub"), encoding="utf-8")
        from tests.conftest import run_cli

        assert run_cli("export", "--config", str(config), "--data", str(data)).returncode == 0
        topics = {p["hub.url"][0] for p in pings}
        assert all(p["hub.mode"] == ["publish"] for p in pings)
        assert "https://feeds.example.org/feeds/all.atom" in topics
        assert "https://feeds.example.org/feeds/sources/cyol.json" in topics
        document = json.loads((data / "feeds" / "all.json").read_text(encoding="utf-8"))
        assert document["hubs"][0]["type"] == "WebSub"
        # With a public base URL, snapshot links are absolute: `serve`'s /web/ there.
        snapshots = [item["_feedarchiver"]["snapshot"] for item in document["items"]]
        assert snapshots and all(s.startswith("https://feeds.example.org/web/20") for s in snapshots)
        atom = feedparser.parse((data / "feeds" / "all.atom").read_bytes())
        assert [link.href for e in atom.entries for link in e.links if link.rel == "memento"] == snapshots
        pings.clear()
        assert run_cli("export", "--config", str(config), "--data", str(data)).returncode == 0
        assert pings == [], "nothing changed, nothing announced"
    finally:
        hub.shutdown()
        hub.server_close()

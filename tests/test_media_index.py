"""The media table and its links to posts, on SQLite and on the machine's real PostgreSQL."""

from __future__ import annotations

from crawler.content.text import content_hash
from crawler.index import SqlIndexStore
from crawler.items import MediaRef, PostItem


def media(sha: str, url: str, width: int = 40) -> MediaRef:
    return MediaRef(sha256=sha * 64, path=f"{sha * 2}/{sha * 2}/{sha * 64}.png", url=url, media_type="image/png",
                    width=width, height=30, size=123)


def item(url: str, text: str, refs: list[MediaRef]) -> PostItem:
    post = PostItem(source="s", url=url, role="copy", title="标题", text=text, body_html=f"<p>{text}</p>", media=refs)
    post.content_hash = content_hash(text)
    return post


def test_media_stored_once_and_linked_to_each_post(store: SqlIndexStore) -> None:
    first = store.upsert_post(item("https://a/1", "第一篇文章的正文", [media("a", "https://cdn1/a.png"),
                                                               media("b", "https://cdn1/b.png")]))
    # The same story at another URL shows the same pictures from another CDN: no new media, no new links.
    again = store.upsert_post(item("https://b/1", "第一篇文章的正文", [media("a", "https://cdn2/a.png")]))
    second = store.upsert_post(item("https://a/2", "第二篇文章的正文", [media("b", "https://cdn2/b.png", width=99)]))
    assert again.post_id == first.post_id and second.post_id != first.post_id
    every = store.media()
    assert [m.sha256[0] for m in every] == ["a", "b"]
    assert [m.first_url for m in every] == ["https://cdn1/a.png", "https://cdn1/b.png"]
    assert every[1].width == 40  # the first sighting is kept
    assert [(m.sha256[0], m.url) for m in store.media(first.post_id)] == [("a", "https://cdn1/a.png"),
                                                                         ("b", "https://cdn1/b.png")]
    assert [(m.sha256[0], m.url) for m in store.media(second.post_id)] == [("b", "https://cdn2/b.png")]
    store.upsert_post(item("https://a/2", "第二篇文章的正文", [media("b", "https://cdn2/b.png")]))  # seen again
    assert len(store.media(second.post_id)) == 1


def test_a_page_seen_again_gains_pictures_archived_late_but_never_loses_them(store: SqlIndexStore) -> None:
    hotlinked = '<p>正文</p><img src="https://cdn/a.png" referrerpolicy="no-referrer">'
    archived = '<p>正文</p><img src="/media/aa/aa/a.png" data-original-src="https://cdn/a.png">'
    first = item("https://a/1", "一篇文章的正文", [])
    first.body_html, first.lead_image = hotlinked, "https://cdn/a.png"
    post_id = store.upsert_post(first).post_id
    later = item("https://a/1", "一篇文章的正文", [media("a", "https://cdn/a.png")])
    later.body_html, later.lead_image = archived, "/media/aa/aa/a.png"
    assert store.upsert_post(later).outcome == "seen"
    stored = store.posts()[0]
    assert (stored.body_html, stored.lead_image) == (archived, "/media/aa/aa/a.png")
    assert [m.sha256[0] for m in store.media(post_id)] == ["a"]
    store.upsert_post(first)  # the CDN is down on the third crawl
    assert store.posts()[0].body_html == archived

"""The web app in a real Chromium (Debian's, driven by Playwright; Playwright's own browser download is
never used): over a served crawl of the demo web, what a reader sees, and that every request the
pages make stays on our own origin. A failing test leaves a screenshot of its page in its tmp dir."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from crawler.archive.snapshots import timestamp14
from tests.conftest import Crawl

pytestmark = pytest.mark.crawl
CHROMIUM = "/usr/bin/chromium"  # deploy/test.sh installs it (and fonts-noto-cjk)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "deploy/test.sh installs chromium"
    launched = playwright.chromium.launch(executable_path=CHROMIUM,
                                          args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
    yield launched
    launched.close()


@dataclass
class Visit:
    page: Page
    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # console errors (a CSP violation is one)

    def foreign(self, origin: str) -> list[str]:
        return [url for url in self.requests if not url.startswith(origin + "/") and not url.startswith("data:")]


@pytest.fixture
def visit(browser: Browser, tmp_path: Path) -> Iterator[Visit]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    seen = Visit(page)
    page.on("request", lambda request: seen.requests.append(request.url))
    page.on("console", lambda message: seen.problems.append(message.text) if message.type == "error" else None)
    try:
        yield seen
    finally:
        context.close()


@contextmanager
def screenshot_on_failure(visit: Visit, tmp_path: Path, name: str) -> Iterator[None]:
    try:
        yield
    except BaseException:
        visit.page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
        raise


def loaded_pictures(page: Page, selector: str, frame_selector: str | None = None) -> list[dict[str, object]]:
    """Every picture matched, scrolled into view (lazy ones load then), with its natural width."""
    scope = page.frame_locator(frame_selector) if frame_selector else page
    pictures = scope.locator(selector)
    found = []
    for index in range(pictures.count()):
        picture = pictures.nth(index)
        picture.scroll_into_view_if_needed()
        picture.evaluate("img => img.complete || new Promise(done => { img.onload = img.onerror = done; })")
        found.append({"src": picture.evaluate("img => img.currentSrc"),
                      "width": picture.evaluate("img => img.naturalWidth")})
    return found


def test_the_list_shows_the_demo_stories(crawl: Crawl, site: str, visit: Visit, tmp_path: Path) -> None:
    store = crawl.store()
    try:
        stories = store.stories()
        titles = {story.representative.title for story in stories}
    finally:
        store.close()
    page = visit.page
    with screenshot_on_failure(visit, tmp_path, "stories"):
        page.goto(site + "/")
        shown = page.locator("li.story a.title").all_inner_texts()
        assert len(shown) == min(len(stories), 30) and set(shown) <= titles  # (two stories may share a title)
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        pictures = loaded_pictures(page, "li.story img.lead")
        assert pictures and all(p["width"] > 0 and str(p["src"]).startswith(site + "/media/") for p in pictures)
        # Shorter pages: "更早的故事" brings the next one in place (htmx), and so on to the oldest story.
        page.goto(site + "/?n=5")
        for shown_before in range(5, len(stories), 5):
            assert page.locator("li.story").count() == shown_before
            page.click("li.more a")
            page.locator("li.story").nth(shown_before).wait_for()  # (the CSP forbids wait_for_function's eval)
        assert set(page.locator("li.story a.title").all_inner_texts()) == titles
        assert page.locator("li.more").count() == 0 and page.url == site + "/?n=5"
        # A filter narrows it: the ZAKER feed's stories only.
        page.select_option("select[name=source]", "zaker-news")
        page.click("form.filters button")
        page.wait_for_url("**/?source=zaker-news**")
        assert 0 < page.locator("li.story").count() < len(shown)
        assert not visit.foreign(site), visit.foreign(site)
        assert not visit.problems, visit.problems


def test_a_story_page_shows_every_copy_and_a_diff(crawl: Crawl, site: str, visit: Visit, tmp_path: Path) -> None:
    store = crawl.store()
    try:
        story = max(store.stories(), key=lambda s: len(s.posts))
    finally:
        store.close()
    urls = {u.url for post in story.posts for u in post.urls}
    assert len(story.posts) > 1, "the demo web has a story copied with changes"
    page = visit.page
    with screenshot_on_failure(visit, tmp_path, "story"):
        page.goto(f"{site}/stories/{story.key}")
        assert page.locator("h1").inner_text() == story.representative.title
        copies = page.locator("section.copy")
        assert copies.count() == len(urls)
        assert set(page.locator("section.copy dd.url").all_inner_texts()) == urls
        roles = set(page.locator("section.copy .role").all_inner_texts())
        assert "原文" in roles and roles & {"聚合平台", "转载"}
        diff = page.locator("section.copy .diff").first
        assert diff.locator("ins, del").count() > 0
        pictures = loaded_pictures(page, "img")
        assert pictures and all(p["width"] > 0 and str(p["src"]).startswith(site + "/media/") for p in pictures)
        assert not visit.foreign(site), visit.foreign(site)
        assert not visit.problems, visit.problems


def test_a_snapshot_replays_with_its_archived_pictures(crawl: Crawl, site: str, visit: Visit,
                                                       tmp_path: Path) -> None:
    store = crawl.store()
    try:
        post = next(p for p in store.posts() if store.media(p.id) and any(c["url"] == p.url for c in p.captures)
                    and "zaker" in p.source)
    finally:
        store.close()
    ref = next(c for c in post.captures if c["url"] == post.url)
    page = visit.page
    with screenshot_on_failure(visit, tmp_path, "snapshot"):
        page.goto(f"{site}/replay/{timestamp14(ref['captured_at'])}/{post.url}")
        frame = page.frame_locator("iframe.snapshot")
        assert frame.locator("body").inner_text().strip()
        # (A picture the crawl could not archive has no src left: the live web is never asked for it.)
        pictures = loaded_pictures(page, "img[src]", "iframe.snapshot")
        assert pictures and all(p["width"] > 0 for p in pictures), pictures
        assert all(urlsplit(str(p["src"])).netloc == urlsplit(site).netloc for p in pictures)
        assert page.locator("iframe.snapshot").get_attribute("sandbox") == ""
        # Nothing left loopback, nor even our origin: the demo web's live hosts were never asked.
        assert not visit.foreign(site), visit.foreign(site)
        assert any("/web/" in url for url in visit.requests)
        # A feed entry's snapshot link opens the same page on its own, sandboxed by its policy alone.
        page.goto(f"{site}/web/{timestamp14(ref['captured_at'])}/{post.url}")
        alone = loaded_pictures(page, "img[src]")
        assert [p["width"] for p in alone] == [p["width"] for p in pictures]
        assert not visit.foreign(site), visit.foreign(site)


def test_the_sources_page_shows_the_blocked_zaker_channel(site: str, visit: Visit, tmp_path: Path) -> None:
    page = visit.page
    with screenshot_on_failure(visit, tmp_path, "sources"):
        page.goto(site + "/sources")
        row = page.locator("tr[data-source='zaker-blocked']")
        assert row.locator(".state").inner_text() == "blocked"
        assert "WAF" in row.inner_text() or "safeline" in row.inner_text().lower()
        assert page.locator("table.health tbody tr").count() >= 10
        assert page.locator("details#runs-zaker-blocked tbody tr").count() >= 1
        # htmx (the table's refresh) loaded under the pages' policy, which allows our own scripts only.
        assert page.evaluate("typeof htmx.process") == "function"
        assert not visit.foreign(site) and not visit.problems, (visit.foreign(site), visit.problems)


def test_the_feeds_page_links_every_feed(site: str, visit: Visit, tmp_path: Path) -> None:
    page = visit.page
    with screenshot_on_failure(visit, tmp_path, "feeds"):
        page.goto(site + "/feeds")
        links = page.locator("a.subscribe")
        assert links.count() >= 10
        hrefs = [links.nth(i).get_attribute("href") or "" for i in range(links.count())]
        assert f"{site}/feeds/all.atom" in hrefs
        answer = page.request.get(f"{site}/feeds.opml")
        assert answer.ok and b"<opml" in answer.body()
        assert not visit.problems, visit.problems


def test_search_finds_a_two_character_chinese_word(crawl: Crawl, site: str, visit: Visit, tmp_path: Path) -> None:
    page = visit.page
    with screenshot_on_failure(visit, tmp_path, "search"):
        page.goto(site + "/search")
        page.fill("form.search input[name=q]", "青年")
        page.click("form.search button[type=submit]")
        page.wait_for_url("**/search?**")
        hits = page.locator("ol.hits li.hit")
        assert hits.count() > 0
        marks = [hits.nth(i).locator("mark").first.inner_text() for i in range(hits.count())
                 if hits.nth(i).locator("mark").count()]
        assert marks and all(mark == "青年" for mark in marks)  # the word, highlighted in each snippet
        first = hits.first.locator("a.title")
        first.click()
        page.wait_for_url("**/stories/**")
        assert page.locator("h1").count() == 1
        page.goto(site + "/search?q=" + "，。")  # nothing to search for: said, not an error page
        assert "nothing to search for" in page.locator(".error-text").inner_text()
        assert not visit.foreign(site) and not visit.problems, (visit.foreign(site), visit.problems)

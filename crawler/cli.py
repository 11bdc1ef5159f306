"""The `feedarchiver` command: argparse subcommands; each handler builds one object and calls it."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from crawler import __version__
from crawler.config import AppConfig, Workspace, data_dir, default_sources_path, load_config
from crawler.errors import ExtractionError, FeedArchiverError
from crawler.runner import CrawlReport

if TYPE_CHECKING:
    from crawler.content.extract import Article

logger = logging.getLogger(__name__)
DEMO_BASE_PORT = 18700  # fixed demo web ports keep URLs, and so the index, stable between demo runs


class Stopped(KeyboardInterrupt):
    """The first SIGINT or SIGTERM: stop what runs and exit 0 (a second one is a plain KeyboardInterrupt)."""


# Set by the first stop signal: the exception below can land in code that swallows it (a weakref callback
# during garbage collection prints "Exception ignored" and goes on), so a server also watches this.
STOP_REQUESTED = threading.Event()


def _on_stop_signal(signum: int, frame: FrameType | None) -> None:
    # Raised in the main thread wherever it is (serve_forever's select, a wait): `with` blocks close
    # the demo web and the servers on the way out. A second signal while stopping interrupts that too.
    STOP_REQUESTED.set()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    raise Stopped


@contextmanager
def _stop_handlers() -> Iterator[None]:
    """SIGTERM (systemd, Docker, kill) stops a command as Ctrl-C does, instead of killing it outright,
    so servers close their ports and the extraction workers are shut down. The caller's handlers
    are put back after (main() is also called from tests, in their process)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    for signum in previous:
        signal.signal(signum, _on_stop_signal)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            if handler is not None:  # (None: installed outside Python; nothing to put back)
                signal.signal(signum, handler)


class _Deferred:
    requested = False


@contextmanager
def _signals_deferred() -> Iterator[_Deferred]:
    """A stop signal waits for the block to finish (an export: each file is soon written); a second
    one interrupts it."""
    state = _Deferred()
    if threading.current_thread() is not threading.main_thread():
        yield state
        return
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}

    def note(signum: int, frame: FrameType | None) -> None:
        state.requested = True
        for number in previous:
            signal.signal(number, signal.default_int_handler)

    for signum in previous:
        signal.signal(signum, note)
    try:
        yield state
    finally:
        for signum, handler in previous.items():
            if handler is not None:  # (None: installed outside Python; nothing to put back)
                signal.signal(signum, handler)


def _existing_data_dir(value: str | None, app: AppConfig, *, index: bool = True) -> Path:
    """The data directory of a command that reads one (export, serve, verify, sources, daemon).

    Only `crawl` and `demo` make a new one: a mistyped --data must not become an empty index whose
    empty feeds are then published over the real ones. The daemon needs the directory, not an index
    (its first crawl makes that); an index_url keeps the index elsewhere.
    """
    data = data_dir(value)
    hint = "run `feedarchiver crawl` first, or check --data and $FEEDARCHIVER_DATA"
    if not data.is_dir() and (not index or not app.settings.index_url):
        raise FeedArchiverError(f"no data directory at {data}: {hint}")
    if index and not Workspace(app, data).has_index:
        raise FeedArchiverError(f"no index in {data} (no index.sqlite3, no index_url): {hint}")
    return data


def _log_level(args: argparse.Namespace) -> str:
    return {0: "WARNING", 1: "INFO"}.get(args.verbose, "DEBUG")


def _print_report(report: CrawlReport, sources: list[str]) -> None:
    print(f"crawled {report.responses} pages, {report.items} posts, {report.errors} errors")
    for name in sources:
        stats = report.per_source.get(name, {})
        if stats.get("backing_off") and not stats.get("items") and not stats.get("errors"):
            print(f"  {name}: skipped (backing off until {stats['backing_off']}: blocked earlier)")
            continue
        line = f"  {name}: {int(stats.get('items', 0))} posts, {int(stats.get('errors', 0))} errors"
        if stats.get("last_error"):
            line += f" (last: {stats['last_error']})"
        print(line)
    print(_archive_line(report.stats))


def _archive_line(stats: dict[str, Any]) -> str:
    """One line on what went into the archive: records, revisits, repairs, uploads."""
    def total(prefix: str) -> dict[str, int]:
        return {k.removeprefix(prefix): int(v) for k, v in stats.items()
                if k.startswith(prefix)}

    revisits = total("warc/revisits/")
    repairs = total("warc/repaired/")
    truncated = total("warc/truncated/")
    parts = [f"archived {int(stats.get('warc/records', 0))} records"
             f" in {int(stats.get('warc/files', 0))} WARC files"]
    parts.append(f"{sum(revisits.values())} revisits ("
                 + ", ".join(f"{k.replace('_', '-')} {v}" for k, v in sorted(revisits.items())) + ")"
                 if revisits else "0 revisits")
    if truncated:
        parts.append("truncated: " + ", ".join(f"{k} {v}" for k, v in sorted(truncated.items())))
    if repairs:
        parts.append("header repairs: " + ", ".join(f"{k.replace('_', '-')} {v}" for k, v in sorted(repairs.items())))
    if stats.get("warc/repaired_files"):
        parts.append(f"{stats['warc/repaired_files']} crashed files repaired")
    if stats.get("archive/uploaded") or stats.get("archive/upload_failed"):
        parts.append(f"{int(stats.get('archive/uploaded', 0))} files uploaded"
                     + (f", {stats['archive/upload_failed']} uploads failed (kept, retried next run)"
                        if stats.get("archive/upload_failed") else ""))
    if stats.get("ssrf/blocked"):
        parts.append(f"{int(stats['ssrf/blocked'])} fetches of private addresses blocked (SSRF guard)")
    if stats.get("archive/errors"):
        parts.append(f"{stats['archive/errors']} archive errors (see the log)")
    return "; ".join(parts)


def _setting(item: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep or not name.strip():
        raise FeedArchiverError(f"--set takes NAME=VALUE, not {item!r}")
    return name.strip(), value


def cmd_crawl(args: argparse.Namespace) -> int:
    from crawler.runner import CrawlRunner

    app = load_config(args.config)
    sources = app.select(args.names, all_enabled=args.all)
    overrides = dict(_setting(item) for item in args.set)
    report = CrawlRunner(app, data_dir(args.data), _log_level(args), overrides, job=args.job,
                         progress_sources=args.progress_sources).run(sources)
    _print_report(report, [s.name for s in sources])
    if report.interrupted:
        print("crawl stopped by a signal: what was fetched is archived and indexed")
        return 0
    if report.responses == 0 and not report.stats.get("frontier/claimed_elsewhere"):
        # (A box of a shared crawl may find every request already taken by the others: not a failure.)
        print("feedarchiver: nothing could be fetched", file=sys.stderr)
        return 1
    return 0


def _export(app: AppConfig, data: Path) -> int:
    from crawler.index import open_index_store
    from exporters import export_all

    store = open_index_store(Workspace(app, data).index_url, story_threshold=app.settings.story_threshold)
    try:
        result = export_all(store, app, data)
    finally:
        store.close()
    if result.up_to_date:
        print(f"exported {result.stories} stories to {data / 'feeds'} (nothing changed since the last export)")
    else:
        print(f"exported {result.stories} stories to {data / 'feeds'} "
              f"({len(result.written)} files written, {len(result.unchanged)} unchanged)")
    if app.settings.feeds_store:
        print(f"published {len(result.published)} changed files to {app.settings.feeds_store}"
              + (f", deleted {len(result.unpublished)} gone ones" if result.unpublished else ""))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    app = load_config(args.config)
    return _export(app, _existing_data_dir(args.data, app))


def _serve_forever(data: Path, host: str, port: int, app: AppConfig | None = None) -> int:
    from web.service import published_server

    server = published_server(data, host, port, app)
    print(f"serving {data} at http://{host}:{server.server_address[1]}/feeds/all.atom (Ctrl-C to stop)",
          flush=True)
    def stop_when_asked() -> None:
        STOP_REQUESTED.wait()
        server.shutdown()

    threading.Thread(target=stop_when_asked, name="stop-serving", daemon=True).start()
    try:
        if not STOP_REQUESTED.is_set():
            server.serve_forever()
        if STOP_REQUESTED.is_set():
            print("stopped serving", flush=True)
    except Stopped:
        print("stopped serving", flush=True)
    finally:
        server.server_close()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    app = load_config(args.config)
    return _serve_forever(_existing_data_dir(args.data, app), args.host, args.port, app)


def _daemon_logging(args: argparse.Namespace) -> None:
    """The daemon tells what it does at INFO (one line per run); timestamps for terminals and files."""
    level = logging.INFO if args.verbose == 0 else logging.getLevelName(_log_level(args))
    logging.getLogger("schedules").setLevel(level)
    for handler in logging.root.handlers:
        handler.setLevel(level)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))


def _run_daemon(app: AppConfig, data: Path, host: str, port: int | None, *, existing: bool = False) -> int:
    from schedules.daemon import Daemon

    daemon = Daemon(app, data)
    if existing:  # (after Daemon(), which names a config without schedules first)
        _existing_data_dir(str(data), app, index=False)
    daemon.start((host, port) if port is not None else None)
    if address := daemon.server_address:
        base = f"http://{address[0]}:{address[1]}"
        print(f"serving {data} at {base}/feeds/all.atom; health at {base}/health", flush=True)
    print(f"daemon running {len(daemon.specs)} schedule(s); crawl logs in {data / 'logs'} (Ctrl-C to stop)",
          flush=True)
    return daemon.wait()


def cmd_daemon(args: argparse.Namespace) -> int:
    _daemon_logging(args)
    return _run_daemon(load_config(args.config), data_dir(args.data), args.host, args.port, existing=True)


def _demo_web_only(port: int) -> int:
    """The demo web alone, on fixed ports, and a sources TOML that crawls it, until Ctrl-C."""
    from crawler.demoweb import HOSTS, DemoWeb

    with DemoWeb(base_port=port) as web:
        print(f"# The demo web on {web.base_url(HOSTS[0])} and {len(HOSTS) - 1} more hosts, until Ctrl-C.\n"
              "# Save this as demo.toml and crawl it: feedarchiver crawl --all --config demo.toml --data DIR\n",
              flush=True)
        print(web.sources_toml().rstrip("\n"), "\n# (end: the demo web serves until Ctrl-C)", sep="\n", flush=True)
        try:
            threading.Event().wait()
        except Stopped:
            print("# demo web stopped", file=sys.stderr, flush=True)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from crawler.demoweb import HOSTS, DemoWeb
    from crawler.runner import CrawlRunner

    web_port = args.web_port if args.web_port is not None else DEMO_BASE_PORT
    if args.web_only:
        return _demo_web_only(args.port if args.port is not None else web_port)
    port = args.port if args.port is not None else 8080
    data = data_dir(args.data)
    data.mkdir(parents=True, exist_ok=True)
    with DemoWeb(base_port=web_port) as web:
        config_path = data / "demo-sources.toml"
        # The demo knows where it serves its feeds: every document's rel="self" and links are absolute.
        sources_toml = web.sources_toml().replace(
            "\n[settings]\n", f'\n[settings]\npublic_base_url = "http://127.0.0.1:{port}"\n', 1)
        config_path.write_text(sources_toml, encoding="utf-8")
        if args.daemon:
            from importlib import resources

            # The demo's schedules: a few runs a minute, so the daemon is seen at work.
            schedules = resources.files("schedules").joinpath("demo.toml").read_text("utf-8")
            config_path.write_text(sources_toml + "\n" + schedules, encoding="utf-8")
            _daemon_logging(args)
            print(f"demo web on {web.base_url(HOSTS[0])} and {len(HOSTS) - 1} more hosts; "
                  f"the daemon crawls them on the schedules in {config_path}", flush=True)
            return _run_daemon(load_config(config_path), data, "127.0.0.1", port)
        app = load_config(config_path)
        sources = app.select(all_enabled=True)
        print(f"demo web on {web.base_url(HOSTS[0])} and {len(HOSTS) - 1} more hosts; "
              f"crawling {len(sources)} sources into {data}", flush=True)
        report = CrawlRunner(app, data, _log_level(args), progress_sources=args.progress_sources).run(sources)
        _print_report(report, [s.name for s in sources])
        sys.stdout.flush()
        if report.interrupted:
            print("demo stopped by a signal during the crawl (not exported)", flush=True)
            return 0
        with _signals_deferred() as stop:
            _export(app, data)
        if args.once or stop.requested:
            if stop.requested:
                print("demo stopped by a signal (after the export)", flush=True)
            return 0
        return _serve_forever(data, "127.0.0.1", port, app)


def cmd_sources(args: argparse.Namespace) -> int:
    from schedules.health import health_document, open_existing_store, stored_jobs
    from schedules.spec import load_schedules

    app = load_config(args.config)
    data = _existing_data_dir(args.data, app)
    schedules = load_schedules(app)
    store = open_existing_store(app, data)
    try:
        report = health_document(app, schedules, store, jobs=stored_jobs(app, data) if schedules else {})
    finally:
        if store is not None:
            store.close()
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    if not app.sources:
        print("no sources configured (see --config, $FEEDARCHIVER_CONFIG or ./feedarchiver.toml)")
    elif app.path is None:
        print(f"no config file: the packaged real-world sources ({default_sources_path()})")
    for name, h in report["sources"].items():
        source = app.sources.get(name)
        if source is None:
            print(f"{name}  [not configured any more]")
        else:
            state = "enabled" if source.enabled else "disabled"
            extras = [x for x in (state, "browser" if source.browser else "") if x]
            print(f"{name}  [{source.kind}, {', '.join(extras)}]  {source.title}  {' / '.join(source.categories)}")
            for url in source.urls:
                print(f"    {url}")
        block = h["block"]  # a WAF block and its back-off (SourceRunsExtension)
        if block and block["waf"]:
            waiting = (f"backing off until {block['until']}" if block["backing_off"]
                       else f"back-off ended at {block['until']}")
            print(f"    BLOCKED by a {block['waf']} WAF challenge at {block['last']} ({block['in_row']} in a row, "
                  f"{block['total']} in all); {waiting}")
        elif block and block["total"]:
            print(f"    blocked {block['total']} times before; got through since")
        last = h["last_run"]
        if last is None:
            print("    never crawled")
        else:
            print(f"    last run: {last['status']} at {last['finished'] or 'unfinished'}: {last['items']} posts, "
                  f"{last['errors']} errors; {h['posts']} stories in the index over {h['runs']} runs")
            if last["last_error"]:
                print(f"    last error: {last['last_error']}")
            print(f"    state: {h['state']} ({h['reason']})")
        if h["schedules"]:
            when = f"next run: {h['next_run']} ({h['next_run_schedule']})" if h["next_run"] else \
                "next run: when the daemon starts"
            print(f"    {when}; schedules: {', '.join(h['schedules'])}")
        elif source is not None and source.enabled and schedules:
            print("    not in any schedule")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from crawler.archive.verify import ArchiveVerifier
    from crawler.index import SqlIndexStore
    from crawler.storage.objects import open_store

    app = load_config(args.config)
    data = _existing_data_dir(args.data, app)
    store = None
    workspace = Workspace(app, data)
    if workspace.has_index:
        store = SqlIndexStore(workspace.index_url)
    storage = None
    if app.settings.archive_url:
        storage = open_store(app.settings.archive_url, endpoint_url=app.settings.s3_endpoint_url)
    try:
        if args.repair:
            _repair(data, store, storage)
        report = ArchiveVerifier(data, store, storage, wacz=app.settings.wacz).run()
    finally:
        if store is not None:
            store.close()
    print(report.text())
    return 0 if report.ok else 1


def _repair(data: Path, store: Any, storage: Any) -> None:
    from crawler.archive.publisher import ArchivePublisher

    if store is None:
        raise FeedArchiverError(f"no index in {data}: nothing to repair against (crawl first)")
    report = ArchivePublisher(data, store, storage=storage).repair(software=f"feedarchiver/{__version__}")
    print(f"repaired {len(report.repaired)} WARCs left open, indexed {len(report.indexed)}, "
          f"packaged {len(report.packaged)} into a WACZ")


def cmd_search(args: argparse.Namespace) -> int:
    from crawler.index import SqlIndexStore
    from web.search import filters_from, found

    app = load_config(args.config)
    workspace = Workspace(app, _existing_data_dir(args.data, app))
    store = SqlIndexStore(workspace.index_url)
    try:
        if args.reindex:
            print(f"indexed {store.reindex_search()} posts for search")
            if not args.query:
                return 0
        if not args.query:
            raise FeedArchiverError("give a query (or --reindex)")
        filters = filters_from({"source": args.source, "category": args.category or "", "since": args.since or "",
                                "until": args.until or ""})
        results = found(store, " ".join(args.query), filters, args.limit)
    finally:
        store.close()
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return 0
    if not results:
        print("no story matches")
    for result in results:
        text, marks = result["snippet"], result["highlights"]
        shown = "".join((f"【{text[s:e]}】" if (s, e) in marks else text[s:e])
                        for s, e in _spans(len(text), marks))
        print(f"{result['title']}  ({result['published'] or 'undated'}; {len(result['copies'])} copies)")
        print(f"    {' '.join(shown.split())}")
        print(f"    story {result['story']}: {result['copies'][0]['url']}")
    return 0


def _spans(length: int, marks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The text cut at the highlighted spans: every piece, marked or not, in order."""
    spans, at = [], 0
    for start, end in marks:
        spans += [(at, start), (start, end)] if start > at else [(start, end)]
        at = end
    return [*spans, (at, length)] if at < length else spans


def cmd_migrate(args: argparse.Namespace) -> int:
    from crawler.index import SqlIndexStore
    from schedules.store import migrate_job_store, safe_url

    app = load_config(args.config)
    workspace = Workspace(app, _existing_data_dir(args.data, app))
    url = workspace.index_url
    store = SqlIndexStore(url, story_threshold=app.settings.story_threshold)  # opening it upgrades it
    store.close()
    done = store.migration
    print(f"index {safe_url(url)}: " + (f"upgraded from {done.before or 'no version'} to {done.after}"
                                        if done is not None and done.changed else "up to date"))
    jobs_url, table = workspace.schedule_store_url, app.settings.schedule_store_table
    jobs = migrate_job_store(jobs_url, table)
    print(f"job store {safe_url(jobs_url)} (table {table}): " + (
        "none yet" if jobs is None else
        f"upgraded from {jobs.before or 'no version'} to {jobs.after}" if jobs.changed else "up to date"))
    return 0


def _fetch_page(target: str, url: str | None) -> tuple[bytes, str | None, str]:
    """(body, content type, URL) of a page named by URL or saved in a file."""
    if target.startswith(("http://", "https://")):
        request = urllib.request.Request(target, headers={"User-Agent": f"feedarchiver/{__version__}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read(), response.headers.get("Content-Type"), url or response.geturl()
    path = Path(target)
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise FeedArchiverError(f"cannot read {path}: {exc.strerror}") from None
    return body, None, url or path.resolve().as_uri()


def _extract(target: str, url: str | None, timezone: str) -> Article:
    from crawler.content.encoding import decode_html
    from crawler.content.extract import extract_article

    body, content_type, page_url = _fetch_page(target, url)
    html, _ = decode_html(body, content_type)
    try:
        return extract_article(html, page_url, timezone)
    except ExtractionError as exc:
        raise ExtractionError(f"{target}: {exc}") from None


def cmd_extract(args: argparse.Namespace) -> int:
    targets: list[str] = args.targets
    if args.url and len(targets) > 1:
        raise FeedArchiverError("--url names one page's URL: give it with one target only")
    if len(targets) == 1:
        article = _extract(targets[0], args.url, args.timezone)
        print(json.dumps(article.to_json(), ensure_ascii=False, indent=2))
        return 0
    # Many targets in one process (start-up is most of a single call): one JSON line each, in order;
    # a page that fails gets a line with its error, and the exit status says some failed.
    failed = 0
    for target in targets:
        try:
            line = _extract(target, None, args.timezone).to_json()
        except (FeedArchiverError, OSError) as exc:
            failed += 1
            line = {"target": target, "error": str(exc)}
        print(json.dumps(line, ensure_ascii=False), flush=True)
    return 1 if failed else 0


def _site(article: Article) -> str | None:
    """The site a page belongs to: its host (a saved file's canonical URL's), else its og:site_name."""
    for url in (article.url, article.canonical_url):
        if url and (host := urlsplit(url).netloc):
            return host.lower()
    return article.site_name


def cmd_same_story(args: argparse.Namespace) -> int:
    from crawler.content.neardup import similarity
    from crawler.content.text import normalise_lines

    threshold = args.threshold if args.threshold is not None else load_config(args.config).settings.story_threshold
    if not 0 < threshold <= 1:
        raise FeedArchiverError(f"--threshold must be above 0 and at most 1, not {threshold}")
    a = _extract(args.file_a, args.url_a, args.timezone)
    b = _extract(args.file_b, args.url_b, args.timezone)
    same_site = _site(a) is not None and _site(a) == _site(b)
    lines_a, lines_b = normalise_lines(a.text), normalise_lines(b.text)
    result = similarity(lines_a, lines_b, same_site=same_site)
    unfolded = similarity(normalise_lines(a.text, fold=False), normalise_lines(b.text, fold=False),
                          same_site=same_site)
    print(json.dumps({
        "same": result.same(threshold),
        # Compared as the crawler compares: Traditional script and vocabulary folded to Simplified.
        "similarity": round(result.score, 4),
        "threshold": threshold,
        "jaccard": round(result.jaccard, 4),
        "containment": round(result.containment, 4),
        # How much of each text the other holds: an excerpt is (nearly) all in its original.
        "a_in_b": round(result.a_in_b, 4),
        "b_in_a": round(result.b_in_a, 4),
        "resemblance": round(result.resemblance, 4),
        "excerpt": result.excerpt(threshold),
        "similarity_unfolded": round(unfolded.score, 4),
        "same_site": same_site,
        # Two pages of one site scored on the lines they do not share (the rest may be its template).
        "own_text_only": result.own_text,
        "a": {"url": a.url, "title": a.title, "shingles": result.shingles[0]},
        "b": {"url": b.url, "title": b.title, "shingles": result.shingles[1]},
    }, ensure_ascii=False, indent=2))
    return 0


def cmd_import_opml(args: argparse.Namespace) -> int:
    from web.opml import import_opml

    target = Path(args.config or "feedarchiver.toml")
    existing = target.read_text("utf-8") if target.exists() else ""
    result = import_opml(Path(args.file).read_bytes(), existing)
    if args.dry_run:
        print(result.toml, end="")
    elif result.added:
        target.write_text(result.toml, encoding="utf-8")
    print(f"{len(result.added)} feeds added to {target}{' (dry run: nothing written)' if args.dry_run else ''}, "
          f"{len(result.duplicates)} already there", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="feedarchiver", description=__doc__)
    parser.add_argument("--version", action="version", version=f"feedarchiver {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, handler: object, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        p.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
        return p

    p = add("demo", cmd_demo, "start the bundled demo web on loopback, crawl it all, export, then serve")
    p.add_argument("--data", help="data directory (default: $FEEDARCHIVER_DATA or ./data)")
    p.add_argument("--port", type=int, help="port to serve the feeds on (default 8080); with --web-only, the "
                                            "demo web's first port")
    p.add_argument("--web-port", type=int, help=f"first port of the demo web (default {DEMO_BASE_PORT}; host i "
                                                "gets N+i; 0: ephemeral ports)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="exit after the export instead of serving")
    mode.add_argument("--daemon", action="store_true",
                      help="run the daemon on the demo's schedules instead (serves the feeds and /health)")
    mode.add_argument("--web-only", action="store_true",
                      help="only run the demo web, and print a sources TOML that crawls it (Ctrl-C to stop)")
    p.add_argument("--progress-sources", action="store_true", help="per-source counts in the progress display")

    p = add("crawl", cmd_crawl, "crawl the named sources (or --all enabled ones)")
    p.add_argument("names", nargs="*", metavar="NAME", help="source names from the config")
    p.add_argument("--all", action="store_true", help="crawl every enabled source")
    p.add_argument("--data", help="data directory (default: $FEEDARCHIVER_DATA or ./data)")
    p.add_argument("--config", help="sources TOML (default: $FEEDARCHIVER_CONFIG or ./feedarchiver.toml)")
    p.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                   help="override a Scrapy setting for this crawl, as `scrapy crawl -s` (repeatable)")
    p.add_argument("--progress-sources", action="store_true",
                   help="per-source counts (posts, errors) in the progress display on a terminal")
    p.add_argument("--job", help="share this crawl's frontier in redis_url with every process given the same job "
                                 "name (run it on N boxes at once; a new name per crawl)")

    p = add("export", cmd_export, "write the Atom feeds from the index into DATA/feeds")
    p.add_argument("--data", help="data directory (default: $FEEDARCHIVER_DATA or ./data)")
    p.add_argument("--config", help="sources TOML (default: $FEEDARCHIVER_CONFIG or ./feedarchiver.toml)")

    p = add("serve", cmd_serve, "serve DATA/feeds and DATA/media over HTTP, archived pages at "
                                "/web/TIMESTAMP/URL, per-source health at /health")
    p.add_argument("--data", help="data directory (default: $FEEDARCHIVER_DATA or ./data)")
    p.add_argument("--config", help="sources TOML (default: $FEEDARCHIVER_CONFIG or ./feedarchiver.toml)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080)")

    p = add("sources", cmd_sources, "list the configured sources and each one's health")
    p.add_argument("--config", help="sources TOML (default: $FEEDARCHIVER_CONFIG or ./feedarchiver.toml)")
    p.add_argument("--data", help="data directory holding the index (default: $FEEDARCHIVER_DATA or ./data)")
    p.add_argument("--json", action="store_true", help="the health document as JSON (what /health serves)")

    p = add("daemon", cmd_daemon, "run the [[schedules]] of the config: crawls in subprocesses, exports after")
    p.add_argument("--config", help="sources TOML (default: $FEEDARCHIVER_CONFIG or ./feedarchiver.toml)")
    p.add_argument("--data", help="data directory (default: $FEEDARCHIVER_DATA or ./data)")
    p.add_argument("--host", default="127.0.0.1", help="address to serve feeds and /health on (with --port)")
    p.add_argument("--port", type=int, help="also serve DATA/feeds, DATA/media and /health on this port")

    p = add("verify", cmd_verify, "check WARCs, index <-> WARC references, CDXJ, media and feeds; report problems")
    p.add_argument("--data", help="data directory (default: $FEEDARCHIVER_DATA or ./data)")
    p.add_argument("--config", help="sources TOML (default: $FEEDARCHIVER_CONFIG or ./feedarchiver.toml)")
    p.add_argument("--repair", action="store_true", help="first finish what a crash left undone: WARCs left "
                   "open, finished WARCs without their CDXJ, WARCs in no WACZ")

    p = add("search", cmd_search, "search the archive (Chinese and English): stories, best first, with snippets")
    p.add_argument("query", nargs="*", metavar="QUERY", help='words, "phrases", OR, -exclude, title:WORD, source:NAME')
    p.add_argument("--source", action="append", default=[], metavar="NAME", help="only posts seen at this source")
    p.add_argument("--category", help="only posts in this category (any level)")
    p.add_argument("--since", help="only posts published from this date")
    p.add_argument("--until", help="only posts published before this date")
    p.add_argument("--limit", type=int, default=20, help="stories to show (default 20)")
    p.add_argument("--json", action="store_true", help="the hits as JSON")
    p.add_argument("--reindex", action="store_true", help="rebuild the search index from every post first")
    p.add_argument("--data", help="data directory (default: $FEEDARCHIVER_DATA or ./data)")
    p.add_argument("--config", help="sources TOML (default: $FEEDARCHIVER_CONFIG or ./feedarchiver.toml)")

    p = add("migrate", cmd_migrate, "bring the index and the daemon's job store to the current schema "
                                    "(an open of an older one does it too)")
    p.add_argument("--data", help="data directory (default: $FEEDARCHIVER_DATA or ./data)")
    p.add_argument("--config", help="sources TOML (default: $FEEDARCHIVER_CONFIG or ./feedarchiver.toml)")

    p = add("extract", cmd_extract,
            "show what the extractor gets from pages, as JSON (one JSON line per page when given several)")
    p.add_argument("targets", nargs="+", metavar="URL|FILE", help="page URLs, or saved HTML files")
    p.add_argument("--url", help="the page's URL when a single TARGET is a file (resolves relative links)")
    p.add_argument("--timezone", default="Asia/Shanghai", help="zone for naive dates (default Asia/Shanghai)")

    p = add("same-story", cmd_same_story,
            "tell whether two pages carry the same story (near-duplicates), as JSON: same, similarity, threshold")
    p.add_argument("file_a", metavar="FILE_A", help="a saved HTML page (or a URL)")
    p.add_argument("file_b", metavar="FILE_B", help="the other page")
    p.add_argument("--url-a", help="FILE_A's URL (its site matters: pages of one site share a template)")
    p.add_argument("--url-b", help="FILE_B's URL")
    p.add_argument("--threshold", type=float, help="similarity from which pages are one story "
                   "(default: story_threshold of the config, 0.5)")
    p.add_argument("--config", help="sources TOML (default: $FEEDARCHIVER_CONFIG or ./feedarchiver.toml)")
    p.add_argument("--timezone", default="Asia/Shanghai", help="zone for naive dates (default Asia/Shanghai)")

    p = add("import-opml", cmd_import_opml, "add a reader's OPML subscriptions to a TOML file as feed sources "
                                            "(folders become categories; feeds already there are kept)")
    p.add_argument("file", metavar="FILE", help="the OPML file a feed reader exported")
    p.add_argument("--config", help="the TOML file to add them to (default ./feedarchiver.toml)")
    p.add_argument("--dry-run", action="store_true", help="print the resulting TOML instead of writing it")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=_log_level(args), format="%(levelname)s %(name)s: %(message)s")
    # Scrapy resets the root logger's level to NOTSET when a crawl starts, so filter at the handler.
    for handler in logging.root.handlers:
        handler.setLevel(_log_level(args))
    STOP_REQUESTED.clear()  # (main() runs more than once in a test's process)
    try:
        with _stop_handlers():
            result: int = args.handler(args)
        return result
    except FeedArchiverError as exc:
        print(f"feedarchiver: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"feedarchiver: {exc}", file=sys.stderr)
        return 1
    except Stopped:
        print("feedarchiver: stopped", file=sys.stderr)
        return 0
    except KeyboardInterrupt:  # a second signal: stopped without finishing
        print("feedarchiver: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""The crawl commands of `iopc-kg`: crawl, update and changes (registered on the main group by api/cli.py)."""

from __future__ import annotations

import json
import sys

import click

from api.commands.output import emit, format_option
from ontology.exc import IopcKgError

# Exit codes of `crawl` and `update`, for cron: 0 done (changed or not), 1 some pages or cases failed,
# 75 (EX_TEMPFAIL) another crawl holds the lock: try again later.
EXIT_FAILED, EXIT_BUSY = 1, 75


def _config(settings):
    from ingest.crawl import CrawlConfig

    return CrawlConfig(contact=settings.crawl_contact, delay=settings.crawl_delay, timeout=settings.crawl_timeout,
                       retries=settings.crawl_retries, backoff=settings.crawl_backoff, max_bytes=settings.crawl_max_bytes)


def _run_crawl(settings, max_pages, since, show_progress: bool, revisit: str = "due"):
    from tqdm import tqdm

    from ingest.crawl import crawl
    from ontology.sources import load_sources

    sources = load_sources(settings.sources_file)
    bar = tqdm(unit="page", file=sys.stderr, disable=not show_progress, desc="crawl")

    def progress(s):
        bar.n = s.fetched + s.failed + s.robots + s.skipped
        bar.set_postfix(fetched=s.fetched, unchanged=s.unchanged, new=s.new, changed=s.changed, failed=s.failed, refresh=False)
        bar.refresh()

    try:
        return sources, crawl(sources, settings.crawl_dir, settings.warc_dir, _config(settings), max_pages=max_pages,
                              since=since, progress=progress, revisit=revisit)
    finally:
        bar.close()


def _crawl_or_exit(settings, max_pages, since, progress, revisit: str = "due"):
    from ingest.crawl import Busy

    if settings.crawl_contact == "unset":
        click.echo("warning: IOPC_KG_CRAWL_CONTACT is not set; site operators cannot reach you about this crawl", err=True)
    try:
        return _run_crawl(settings, max_pages, since, progress, revisit)
    except Busy as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_BUSY)
    except IopcKgError as e:
        raise click.ClickException(e.message) from None


def _line(summary) -> str:
    """The crawl's summary: what it fetched, what it asked and why, and the revisit schedule from now on."""
    from ingest.revisit import describe

    tail = "" if summary.finished else f"; stopped at --max-pages with {summary.pending} URLs left (run again to continue)"
    asked = ", ".join(f"{n} {c}" for c, n in summary.asked.items())
    moved = "".join(f"\n  {c['url']}: {c['previous']} -> {c['status']}" for c in summary.status_changes)
    return (f"Crawled run {summary.run}{' (resumed)' if summary.resumed else ''}: {summary.fetched} pages fetched "
            f"({summary.new} new, {summary.changed} changed, {summary.unchanged} unchanged), {summary.failed} failed, "
            f"{summary.robots} disallowed by robots.txt, {summary.skipped} older than --since, {summary.requests} requests{tail}.\n"
            f"Asked (--revisit {summary.revisit}): {asked}; {summary.held} known pages not due.\n"
            f"Pages whose status changed: {len(summary.status_changes)}{moved}\n"
            f"Revisit schedule: {describe(summary.schedule, summary.today) or 'no known pages'}.")


_max_pages = click.option("--max-pages", type=click.IntRange(min=1), default=None,
                          help="Stop after this many page requests; the next run continues where this one stopped.")
_since = click.option("--since", default=None, metavar="DATE",
                      help="Skip pages whose sitemap <lastmod> is before DATE (2026-01-01, 01/01/2026 day first, '1 January 2026'); pages without one are fetched.")
_json = click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
_revisit = click.option("--revisit", type=click.Choice(["all", "due", "none"]), default="due", show_default=True,
                        help="Which pages fetched before are asked again (conditionally): those the sources' revisit "
                             "schedule makes due (awaiting and overdue every run, answered every 30 days by default), "
                             "all of them, or none (only new pages).")


@click.command("crawl")
@_max_pages
@_since
@_revisit
@_json
@click.pass_context
def crawl_command(ctx, max_pages, since, revisit, as_json) -> None:
    """Fetch recommendation pages from the declared sources into WARC files under the data directory.

    Polite: robots.txt obeyed, one request per second per host, conditional requests, Retry-After
    honoured. Resumable: an interrupted crawl continues where it stopped. `iopc-kg ingest DATA/warc`
    (or `iopc-kg update`) reads what it fetched.
    """
    settings = ctx.obj["settings"]
    since = _check_since(since)
    _, summary = _crawl_or_exit(settings, max_pages, since, sys.stderr.isatty(), revisit)
    for url, message in summary.failures:
        click.echo(f"error: {url}: {message}", err=True)
    click.echo(json.dumps(summary.as_dict()) if as_json else _line(summary))
    if summary.failures:
        sys.exit(EXIT_FAILED)


@click.command("update")
@_max_pages
@_since
@_revisit
@_json
@click.option("--verbose", "-v", is_flag=True, help="Report even when nothing changed.")
@click.pass_context
def update_command(ctx, max_pages, since, revisit, as_json, verbose) -> None:
    """Crawl, then ingest what the crawl archived: one step, safe from cron.

    Quiet when nothing changed (no output, exit 0); prints what moved otherwise: what it asked,
    what changed and the revisit schedule of the next runs (all of it always in --json). A lock
    keeps two runs apart: a second one exits with code 75 at once. Exit code 1 if pages or cases failed.
    """
    from graph.open import open_store
    from ingest.load import ingest_paths
    from search.index import SearchIndex

    from api import running

    settings = ctx.obj["settings"]
    since = _check_since(since)
    running.serving(settings.data_dir, settings.store)  # a store the server does not serve is refused before crawling
    started = _now()
    sources, summary = _crawl_or_exit(settings, max_pages, since, sys.stderr.isatty() and verbose, revisit)
    ingested = None
    server = running.serving(settings.data_dir, settings.store)
    if server is not None and (summary.fetched or not settings.index_dir.exists()):
        # `iopc-kg serve` holds the graph: it ingests the archive itself, so its answers update at once.
        ingested, moved = _update_through(ctx, server, settings, started)
    elif summary.fetched or not settings.index_dir.exists():
        try:
            with open_store(settings) as store:
                index = SearchIndex(settings.index_dir)
                try:
                    ingested = ingest_paths([settings.warc_dir], store, index, log_path=settings.ingest_log, sources=sources,
                                            progress=sys.stderr.isatty() and verbose)
                finally:
                    index.close()
                moved = store.changes(started)
        except IopcKgError as e:
            raise click.ClickException(e.message) from None
    else:
        moved = []
    failed = bool(summary.failures) or bool(ingested and ingested.failures)
    if as_json:
        click.echo(json.dumps({"crawl": summary.as_dict(), "ingest": ingested.as_dict() if ingested else None, "changes": moved}))
    elif moved or failed or verbose or summary.new or summary.changed or summary.status_changes:
        click.echo(_line(summary))
        if ingested:
            click.echo(f"Ingested {ingested.cases} cases ({ingested.written} written, {ingested.unchanged} unchanged), "
                       f"{len(ingested.failures)} failures.")
        for row in moved:
            click.echo(_change_line(row))
    for url, message in summary.failures:
        click.echo(f"error: {url}: {message}", err=True)
    for failure in ingested.failures if ingested else []:
        click.echo(f"error: {failure.message}", err=True)
    if failed:
        sys.exit(EXIT_FAILED)


@click.command("changes")
@click.option("--since", required=True, metavar="DATE", help="A date in any usual spelling (2026-01-01, 01/01/2026 day first, "
              "'1 January 2026', today) or a UTC time (YYYY-MM-DDTHH:MM:SSZ).")
@_json
@format_option
@click.pass_context
def changes_command(ctx, since, as_json, fmt) -> None:
    """List what moved since DATE: recommendations first seen, and each change of status or response."""
    from api.commands.read import connected

    from api.dates import parse_since

    try:
        since = parse_since(since)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--since") from None
    with connected(ctx) as api:  # the running server's API, or the API in this process
        rows = api.json("/changes", {"since": since, "limit": 10_000})
    for row in rows:
        row.pop("links", None)
    if fmt is not None:
        emit(rows, fmt)
        return
    for row in rows:
        click.echo(json.dumps(row, ensure_ascii=False) if as_json else _change_line(row))


def _update_through(ctx, server, settings, started):
    """The ingest half of `update` sent to the running server; what moved, asked of it."""
    from types import SimpleNamespace

    from api.client import RemoteClient, ready

    if server.read_only or not server.key:
        raise click.ClickException(f"{server.describe()} opened the graph read-only (serve --workers N) and cannot ingest: "
                                   f"stop it, run `iopc-kg update` again, and start it again")
    client = RemoteClient(ready(server, settings.data_dir))
    try:
        answer = client.request("POST", "/ingest/paths", json={"paths": [str(settings.warc_dir.resolve())]}).json()
        moved = [{k: v for k, v in r.items() if k != "links"} for r in client.json("/changes", {"since": started, "limit": 10_000})]
    finally:
        client.close()
    failures = [SimpleNamespace(**f) for f in answer["failures"]]
    ingested = SimpleNamespace(**{**answer, "failures": failures}, as_dict=lambda: answer)
    return ingested, moved


def _change_line(row: dict) -> str:
    what = row["change"]
    if what == "new":
        moved = f"first seen, {row['status']}"
    else:
        moved = f"{what}: {row['previous_status']} -> {row['status']}" if "status" in what else f"{what} changed ({row['status']})"
    return f"{row['seen'][:19]}Z  {row['rec_id']}  {row.get('force_id') or '-'}  {moved}"


def _check_since(since: str | None) -> str | None:
    """--since as YYYY-MM-DD, from any usual spelling of a day (`api.dates`)."""
    from api.dates import parse_day

    if since is None:
        return None
    try:
        return parse_day(since).isoformat()
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--since") from None


def _now() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def register(main: click.Group) -> None:
    for command in (crawl_command, update_command, changes_command):
        main.add_command(command)

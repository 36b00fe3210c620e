"""The `iopc-kg` command: composable verbs over JSON lines. Each command calls one library function
or asks the API (`api.client`: the running server's, else the route's own function in this process).

The group and what every command shares (global options accepted anywhere, errors as messages,
progress bars, dates) are in `api.commands.base`; the read commands in `api.commands.read` and
`api.commands.patterns`; the commands that write are here. A command added with `@main.command()`
gets the global options; read the settings with `_settings(ctx)`.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from api import __version__
from api.commands.base import Group, note, progress, settings as _settings
from api.commands.output import chosen, emit, format_option
from ontology.exc import IopcKgError  # noqa: F401 - Group.main turns it into a message; commands need not catch it


class _Obj(dict):
    """`ctx.obj["settings"]`, made when first asked for (after every option is read)."""

    def __init__(self, ctx: click.Context):
        super().__init__()
        self.ctx = ctx

    def __missing__(self, key):
        if key == "settings":
            return _settings(self.ctx)
        raise KeyError(key)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="iopc-kg")
@click.pass_context
def main(ctx: click.Context) -> None:
    """iopc-kg: a knowledge graph and search over IOPC learning recommendations.

    Read commands work while `iopc-kg serve` runs on the same data directory (they ask it), and
    `ingest` goes through it, so its answers update at once. Every command takes --data-dir,
    --store and --quiet, before or after its name, and read commands take --format
    table|csv|jsonl|json.
    """
    ctx.obj = _Obj(ctx)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--no-merge", is_flag=True, help="One object per file instead of merging renderings of the same case.")
@click.option("--explain", is_flag=True, help="Instead of JSON, show for each page file the layout detected and what each line became.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "json", "csv", "table"]), default="jsonl", show_default=True,
              help="jsonl: one case per line (the parse contract); json: one list; csv and table: one row per recommendation.")
@click.pass_context
def parse(ctx: click.Context, paths: tuple[Path, ...], no_merge: bool, explain: bool, fmt: str) -> None:
    """Parse pages and print one JSON object per case (directories are walked).

    A file that fails is reported on stderr with the reason; the others still print; the exit
    code is 1 if any file failed.
    """
    if explain:
        from ingest.explain import explain as explain_page
        from ingest.sources import walk

        click.echo("\n\n".join(explain_page(path) for path in walk(list(paths))))
        return
    from ingest.pipeline import parse_paths
    from ontology.sources import load_sources

    sources = load_sources(_settings(ctx).sources_file)
    result = parse_paths(list(paths), merge=not no_merge, sources=sources, progress=progress(ctx))
    cases = [case.to_dict() for case in result.cases]
    if fmt == "jsonl":
        for case in cases:
            click.echo(json.dumps(case, ensure_ascii=False))
    else:
        emit(cases, fmt, rows=_recommendation_rows)
    for failure in result.failures:
        click.echo(f"error: {failure.message}", err=True)
    if result.failures:
        sys.exit(1)


def _recommendation_rows(cases: list[dict]) -> list[dict]:
    """Parsed cases as one row per recommendation, for a spreadsheet."""
    keep = ("id", "reference", "title", "force", "date_recommended", "response_due", "source_url", "layout")
    return [{k: case.get(k) for k in keep} | {k: rec.get(k) for k in ("numbers", "status", "text", "response", "programmes", "themes")}
            for case in cases for rec in case["recommendations"]]


INGEST_HELP = """Parse pages and write them to the graph and the search index; re-running never duplicates.

PATHS are files or directories (walked): .txt and .html pages (each at most 1 MB: a larger page is
damage or a wrong file), iopc-kg .json / .jsonl records (at most 200 MB a file) and .warc / .warc.gz
web archives (what `iopc-kg crawl` writes). While `iopc-kg
serve` runs on the same data directory, the pages are ingested by the server, so its answers
include them at once. Exit code 1 if nothing was ingested, or with --strict if any file failed.
"""


@main.command(help=INGEST_HELP)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--strict", is_flag=True, help="Exit with code 1 if any file failed (by default failures are reported and the rest is ingested).")
@click.option("--json", "as_json", is_flag=True, hidden=True, help="Same as --format json.")
@format_option
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], strict: bool, as_json: bool, fmt: str | None) -> None:
    from api import running

    settings = _settings(ctx)
    server = running.serving(settings.data_dir, settings.store)
    if server is not None:
        answer = _ingest_through(ctx, server, paths)
        where = f"{server.describe()} ({settings.data_dir})"
    else:
        answer = _ingest_here(ctx, settings, paths)
        where = f"the {settings.store} store ({settings.data_dir})"
    for failure in answer["failures"]:
        click.echo(f"error: {failure['message']}", err=True)
    fmt = "json" if as_json and fmt is None else chosen(fmt)
    if fmt == "table":
        click.echo(
            f"Ingested {answer['files']} files into {where}: "
            f"{answer['cases']} cases, {answer['recommendations']} recommendations "
            f"({answer['written']} written, {answer['unchanged']} unchanged, {answer['indexed']} documents indexed), "
            f"{answer['warnings']} warnings, {len(answer['failures'])} failures."
        )
        if answer.get("graph"):
            click.echo("Graph: " + ", ".join(f"{n} {k}" for k, n in answer["graph"].items()))
    else:
        emit(answer, fmt, rows=lambda a: [{k: v for k, v in a.items() if k != "failures"} | {"failures": len(a["failures"])}])
    if answer["cases"] == 0:
        click.echo(f"Error: nothing was ingested: no case was read from {', '.join(map(str, paths))}"
                   + (" (every file failed; see above)" if answer["failures"] else " (no .txt, .html, .json, .jsonl or .warc file there)"), err=True)
        sys.exit(1)
    if strict and answer["failures"]:
        sys.exit(1)


def _ingest_here(ctx: click.Context, settings, paths) -> dict:
    from graph.open import open_store
    from ingest.load import give_back_freed_memory, ingest_paths
    from ontology.sources import load_sources
    from search.index import SearchIndex

    sources = load_sources(settings.sources_file)
    with open_store(settings) as store:
        index = SearchIndex(settings.index_dir)
        try:
            summary = ingest_paths(list(paths), store, index, log_path=settings.ingest_log, sources=sources,
                                   progress=progress(ctx))
            counts = store.counts()
        except BaseException:
            index.close()
            raise
    try:
        # The graph is closed: what LadybugDB held for writing (about 1 GB at 30k cases) goes back to
        # the system before the search tables are built.
        give_back_freed_memory()
        _keep_search_tables(index)
    finally:
        index.close()
    return summary.as_dict() | {"store": settings.store, "graph": counts}


def _ingest_through(ctx: click.Context, server, paths) -> dict:
    from api.client import RemoteClient, ready

    if server.read_only or not server.key:
        raise click.ClickException(f"{server.describe()} opened the graph read-only (serve --workers N) and cannot ingest: "
                                   f"stop it, run the ingest, and start it again")
    note(ctx, f"Ingesting through {server.describe()}: its answers will include these pages when it finishes.")
    client = RemoteClient(ready(server, _settings(ctx).data_dir))
    try:
        # The server parses and writes; until it answers, the bar shows only that it is at work.
        with _working(ctx, "ingest (in the server)"):
            answer = client.request("POST", "/ingest/paths", json={"paths": [str(p.resolve()) for p in paths]}).json()
        answer["graph"] = client.json("/stats").get("counts")
    finally:
        client.close()
    return answer | {"store": server.store}


@contextmanager
def _working(ctx: click.Context, what: str):
    """A bar with the time elapsed, redrawn while a step whose size is unknown runs."""
    import threading

    from tqdm import tqdm

    done = threading.Event()
    bar = tqdm(desc=what, bar_format="{desc}: {elapsed}", disable=not progress(ctx), file=sys.stderr)

    def tick():
        while not done.wait(0.5):
            bar.refresh()

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join()
        bar.close()


def _refuse_while_served(settings, what: str) -> None:
    from api import running

    server = running.find(settings.data_dir)
    if server is not None:
        raise click.ClickException(f"{server.describe()} holds the graph in {settings.data_dir}; {what} needs it alone: "
                                   f"stop the server (Ctrl-C in its terminal, or kill {server.pid}) and run this again")


def _keep_search_tables(index) -> None:
    """Build the new commit's search tables and keep them beside the index, so the next server
    start is ready at once (about a second at 10k cases, here rather than in the server)."""
    import logging

    from search.query import Engine

    try:
        Engine(index).warm(search_only=True)
    except Exception as e:  # noqa: BLE001 - an optimisation: the server builds them at start if this fails
        logging.getLogger("iopc_kg").warning("could not build the search tables ahead (%s: %s); the server builds them at start",
                                             type(e).__name__, e)


@main.command()
@click.pass_context
def reindex(ctx: click.Context) -> None:
    """Rebuild the search index from the graph (after an upgrade, or if the index was lost)."""
    from graph.open import open_store
    from ingest.load import reindex as rebuild
    from search.index import SearchIndex

    settings = _settings(ctx)
    _refuse_while_served(settings, "reindex")
    with open_store(settings) as store:
        index = SearchIndex(settings.index_dir)
        try:
            n = rebuild(store, index, progress=progress(ctx))
            _keep_search_tables(index)
        finally:
            index.close()
    click.echo(f"Indexed {n} recommendations from the {settings.store} store into {settings.index_dir}.")


@main.command("graph-copy")
@click.option("--to", "to_store", type=click.Choice(["neo4j", "embedded"]), default="neo4j", show_default=True,
              help="The target store (Neo4j from NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE).")
@click.option("--to-data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Data directory of an embedded target.")
@click.option("--clear", is_flag=True, help="Empty the target graph first.")
@click.pass_context
def graph_copy(ctx: click.Context, to_store: str, to_data_dir: Path | None, clear: bool) -> None:
    """Copy the whole graph of the configured store into another (embedded -> Neo4j)."""
    from graph.copy import copy_graph
    from graph.open import open_store

    settings = _settings(ctx)
    target_settings = settings.model_copy(update={"store": to_store, **({"data_dir": to_data_dir} if to_data_dir else {})})
    if target_settings.store == settings.store and target_settings.data_dir == settings.data_dir and to_store == "embedded":
        raise click.UsageError("the target is the source: give --to neo4j or --to-data-dir")
    _refuse_while_served(settings, "graph-copy")
    with open_store(settings, read_only=settings.store == "embedded") as source, open_store(target_settings) as target:
        with tqdm_bar(ctx, source.counts().get("Case", 0)) as bar:
            result = copy_graph(source, target, clear=clear, progress=bar.update)
        counts = target.counts()
    click.echo(f"Copied {len(result.written)} cases ({len(result.unchanged)} unchanged, {len(result.failed)} failed) "
               f"into the {to_store} store: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    if result.failed:
        sys.exit(1)


def tqdm_bar(ctx: click.Context, total: int, unit: str = "case", desc: str | None = None):
    """A progress bar on standard error: on a terminal only, and not with --quiet."""
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, desc=desc, disable=not progress(ctx), file=sys.stderr)


@main.command()
@click.argument("cases", type=click.IntRange(min=1))
@click.option("--seed", type=click.IntRange(0, 99), default=7, show_default=True,
              help="The same seed gives the same cases; two seeds never share a case (reference or source URL).")
@click.option("--start-year", type=click.IntRange(1990, 2100), default=2016, show_default=True)
@click.option("--end-year", type=click.IntRange(1990, 2100), default=2026, show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="JSON lines file to write (default: standard output); ingest it with `iopc-kg ingest FILE`.")
@click.pass_context
def generate(ctx: click.Context, cases: int, seed: int, start_year: int, end_year: int, output: Path | None) -> None:
    """Write CASES synthetic cases as iopc-kg JSON lines (for trying things out and benchmarks).

    Skewed like the real corpus: a few programmes reach many forces, every status occurs, some
    responses are overdue. Every text says it is synthetic.
    """
    from ingest.generator import generate as make

    if end_year < start_year:
        raise click.BadParameter(f"{end_year} is before --start-year {start_year}", param_hint="--end-year")
    out = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        with tqdm_bar(ctx, cases) as bar:
            for case in make(cases, seed=seed, start_year=start_year, end_year=end_year):
                out.write(json.dumps(case.to_dict(), ensure_ascii=False) + "\n")
                bar.update(1)
    finally:
        if output:
            out.close()
    if output:
        note(ctx, f"Wrote {cases} synthetic cases to {output}; ingest them with: iopc-kg ingest {output}")


@main.command()
@click.option("--host", default=None, help="Address to bind (default: IOPC_KG_HOST or 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Port (default: IOPC_KG_PORT or 8000).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Server processes. More than one opens the embedded graph read-only (no ingest over HTTP).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, workers: int) -> None:
    """Serve the web explorer at /, the HTTP API and its OpenAPI docs at /docs, on the configured store.

    While it runs, the other commands on the same data directory ask it (it writes server.json and a
    key readable by its owner only, server.key, to the data directory), and `iopc-kg ingest` sends
    its pages to it.
    """
    import os
    import signal

    from api import running

    settings = _settings(ctx)
    update = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    if workers > 1:
        update["read_only"] = True
    settings = settings.model_copy(update=update)
    other = running.find(settings.data_dir)
    if other is not None and settings.store == "embedded":
        raise click.ClickException(f"{other.describe()} already serves {settings.data_dir}; open it, or stop it first")
    if settings.store == "embedded" and not settings.read_only:
        writer = running.graph_writer(settings.graph_path)
        if writer is not None:
            raise click.ClickException(f"the graph at {settings.graph_path} is being written by process {writer} (an ingest?); "
                                       f"wait for it to finish, then serve")
    url = f"http://{'127.0.0.1' if settings.host in ('0.0.0.0', '::', '') else settings.host}:{settings.port}"
    # Announced before the slow imports and the opening of the graph, so that a command started
    # meanwhile waits for this server rather than taking the graph from under it.
    # Servers sharing one Neo4j may share a data directory: the first announced is the one the
    # command line asks.
    key = running.announce(settings.data_dir, url, settings.store, settings.read_only) if other is None else None
    # uvicorn stops gracefully on SIGTERM, then raises it again with the handler found before it
    # started: make that handler an exit, so the state file is withdrawn below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        import uvicorn

        from api.starting import Starting

        click.echo(f"Serving the {settings.store} graph in {settings.data_dir} at http://{settings.host}:{settings.port}/ "
                   f"(the web explorer; API docs at http://{settings.host}:{settings.port}/docs); Ctrl-C to stop.", err=True)
        common = {"host": settings.host, "port": settings.port, "server_header": False, "log_level": "warning", "access_log": False}
        if workers == 1:
            # Listening at once: the app is imported and opened behind it (`api.starting`).
            starting = Starting(lambda: _app(settings, key))
            try:
                uvicorn.run(starting, **common)
            finally:
                if starting.failed is not None:
                    raise click.ClickException(f"the server did not start: {starting.failed}")
            return
        # Worker processes build the app from the environment: hand them these settings that way.
        os.environ.update({"IOPC_KG_DATA_DIR": str(settings.data_dir), "IOPC_KG_STORE": settings.store, "IOPC_KG_READ_ONLY": "true"})
        uvicorn.run("api.starting:from_environment", factory=True, workers=workers, **common)
    finally:
        running.withdraw(settings.data_dir)


def _app(settings, key):
    from api.app import create_app

    return create_app(settings, local_key=key)


def _register() -> None:
    from api.commands.patterns import patterns
    from api.commands.read import COMMANDS

    for command in [*COMMANDS, patterns]:
        main.add_command(command)


_register()


# crawl, update and changes live in their own module (the crawler's commands).
from api.cli_crawl import register  # noqa: E402

register(main)

if __name__ == "__main__":
    main(prog_name="iopc-kg")

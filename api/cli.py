"""The `iopc-kg` command: composable verbs over JSON lines. Each command calls one library function."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from api.settings import Settings
from ontology.exc import IopcKgError


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data-dir", type=click.Path(path_type=Path), default=None, help="Data directory (default: IOPC_KG_DATA_DIR or ./data).")
@click.option("--store", type=click.Choice(["embedded", "neo4j"]), default=None, help="Graph store (default: IOPC_KG_STORE or embedded).")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None, store: str | None) -> None:
    """iopc-kg: a knowledge graph and search over IOPC learning recommendations."""
    overrides = {k: v for k, v in {"data_dir": data_dir, "store": store}.items() if v is not None}
    try:
        ctx.obj = {"settings": Settings(**overrides)}
    except Exception as e:  # pydantic's ValidationError names the setting
        raise click.ClickException(f"invalid settings: {e}") from None


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--no-merge", is_flag=True, help="One object per file instead of merging renderings of the same case.")
@click.option("--explain", is_flag=True, help="Instead of JSON, show for each page file the layout detected and what each line became.")
@click.pass_context
def parse(ctx: click.Context, paths: tuple[Path, ...], no_merge: bool, explain: bool) -> None:
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

    try:
        sources = load_sources(_settings(ctx).sources_file)
    except IopcKgError as e:
        raise click.ClickException(e.message) from None
    result = parse_paths(list(paths), merge=not no_merge, sources=sources)
    for case in result.cases:
        click.echo(json.dumps(case.to_dict(), ensure_ascii=False))
    for failure in result.failures:
        click.echo(f"error: {failure.message}", err=True)
    if result.failures:
        sys.exit(1)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--strict", is_flag=True, help="Exit with code 1 if any file failed (by default failures are reported and the rest is ingested).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], strict: bool, as_json: bool) -> None:
    """Parse pages (.txt, .html, .json, .jsonl, and .warc/.warc.gz web archives) and write them to the
    configured store and the search index; re-running never duplicates."""
    from graph.open import open_store
    from ingest.load import ingest_paths, repair
    from ontology.sources import load_sources
    from search.index import SearchIndex

    settings = _settings(ctx)
    try:
        sources = load_sources(settings.sources_file)
        with open_store(settings) as store:
            index = SearchIndex(settings.index_dir)
            try:
                # An earlier ingest that died (a marker left) or a graph and index that disagree:
                # put the index right first, as a server start would (logged on stderr).
                store.ensure_schema()
                repair(store, index)
                summary = ingest_paths(list(paths), store, index, progress=sys.stderr.isatty(),
                                       log_path=settings.ingest_log, procs=_procs(), sources=sources)
                _keep_search_tables(index)
                counts = store.counts()
            finally:
                index.close()
    except IopcKgError as e:
        raise click.ClickException(e.message) from None
    for failure in summary.failures:
        click.echo(f"error: {failure.message}", err=True)
    if as_json:
        click.echo(json.dumps(summary.as_dict() | {"store": settings.store, "graph": counts}))
    else:
        click.echo(
            f"Ingested {summary.files} files into the {settings.store} store ({settings.data_dir}): "
            f"{summary.cases} cases, {summary.recommendations} recommendations "
            f"({summary.written} written, {summary.unchanged} unchanged, {summary.indexed} documents indexed), "
            f"{summary.warnings} warnings, {len(summary.failures)} failures."
        )
        click.echo("Graph: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    if strict and summary.failures:
        sys.exit(1)


@main.command()
@click.argument("query")
@click.option("--param", "-p", multiple=True, help="A parameter as name=value (repeatable).")
@click.pass_context
def cypher(ctx: click.Context, query: str, param: tuple[str, ...]) -> None:
    """Run a read-only Cypher query and print JSON lines; writes are refused."""
    from graph.open import open_store

    settings = _settings(ctx)
    params = dict(p.split("=", 1) for p in param)
    try:
        with open_store(settings) as store:
            result = store.read_only_query(query, params, settings.max_rows, settings.query_timeout_ms)
    except IopcKgError as e:
        raise click.ClickException(e.message) from None
    for row in result["rows"]:
        click.echo(json.dumps(row, ensure_ascii=False, default=str))


@main.command()
@click.argument("question", type=click.Choice(["force", "programme", "body", "spread", "similar", "cooccurrence", "deadlines", "acceptance", "dependencies"]))
@click.argument("id", required=False)
@click.option("--on", help="Date for deadlines and overdue responses (YYYY-MM-DD; default today).")
@click.option("--min-forces", type=int, default=2, show_default=True, help="Minimum number of forces (spread, dependencies).")
@click.option("--kind", type=click.Choice(["programme", "theme"]), default="programme", show_default=True, help="What to rank (spread).")
@click.pass_context
def patterns(ctx: click.Context, question: str, id: str | None, on: str | None, min_forces: int, kind: str) -> None:
    """Answer a relationship question and print JSON (profiles, spread, similarity, deadlines ...)."""
    from datetime import date

    from graph.open import open_store

    day = date.fromisoformat(on) if on else None
    needs_id = {"force", "programme", "body", "similar"}
    if question in needs_id and not id:
        raise click.UsageError(f"'{question}' needs an id, e.g. iopc-kg patterns {question} essex")
    try:
        with open_store(_settings(ctx)) as store:
            answer = {
                "force": lambda: store.force_profile(id, on=day),
                "programme": lambda: store.programme_profile(id),
                "body": lambda: store.body_profile(id),
                "spread": lambda: store.spread(kind, min_forces),
                "similar": lambda: store.similar_forces(id),
                "cooccurrence": lambda: store.cooccurrence(),
                "deadlines": lambda: store.deadlines(on=day),
                "acceptance": lambda: store.acceptance("force"),
                "dependencies": lambda: store.shared_dependencies(min_forces),
            }[question]()
    except IopcKgError as e:
        raise click.ClickException(e.message) from None
    click.echo(json.dumps(answer, ensure_ascii=False, indent=2, default=str))


def _keep_search_tables(index) -> None:
    """Build the new commit's search tables and keep them beside the index, so the next server
    start is ready at once (about a second at 10k cases, here rather than in the server)."""
    from search.query import Engine

    Engine(index).warm(search_only=True)


@main.command()
@click.pass_context
def reindex(ctx: click.Context) -> None:
    """Rebuild the search index from the graph (after an upgrade, or if the index was lost)."""
    from graph.open import open_store
    from ingest.load import reindex as rebuild
    from search.index import SearchIndex

    settings = _settings(ctx)
    try:
        with open_store(settings) as store:
            index = SearchIndex(settings.index_dir)
            try:
                n = rebuild(store, index, procs=_procs())
                _keep_search_tables(index)
            finally:
                index.close()
    except IopcKgError as e:
        raise click.ClickException(e.message) from None
    click.echo(f"Indexed {n} recommendations from the {settings.store} store into {settings.index_dir}.")


def _procs() -> int:
    """Worker processes for indexing from the command line: the cores there are, at most two."""
    import os

    return max(1, min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)))


def _open_index(settings):
    from search.index import SearchIndex

    if not settings.index_dir.exists():
        raise click.ClickException(f"no search index at {settings.index_dir}: run `iopc-kg ingest` first")
    return SearchIndex(settings.index_dir)


@main.command()
@click.argument("query", required=False, default="")
@click.option("--force", "forces", multiple=True, help="Only this force (id or name; repeat for any of several).")
@click.option("--body", "bodies", multiple=True, help="Only recommendations addressed or linked to this body.")
@click.option("--status", "statuses", multiple=True, help="accepted, partially_accepted, not_accepted, awaiting_response, unknown.")
@click.option("--programme", "programmes", multiple=True, help="Only recommendations naming this programme (id or name).")
@click.option("--theme", "themes", multiple=True, help="Only recommendations about this theme.")
@click.option("--year", "years", multiple=True, help="Only this year of recommendation.")
@click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]), default="relevance", show_default=True)
@click.option("--page", type=int, default=1, show_default=True)
@click.option("--limit", "page_size", type=int, default=10, show_default=True, help="Hits per page.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines: one hit per line, then the facets and suggestions.")
@click.pass_context
def search(ctx, query, forces, bodies, statuses, programmes, themes, years, sort, page, page_size, as_json) -> None:
    """Search every word of recommendations and responses (quotes, AND/OR/NOT, field:value, prefix*, fuzzy~)."""
    from search.query import Engine, Search

    filters = {"force": forces, "body": bodies, "status": statuses, "programme": programmes, "theme": themes, "year": years}
    index = _open_index(_settings(ctx))
    try:
        result = Engine(index).search(Search(q=query, filters={k: list(v) for k, v in filters.items() if v},
                                             sort=sort, page=page, page_size=page_size))
    except IopcKgError as e:
        raise click.ClickException(e.message) from None
    finally:
        index.close()
    if as_json:
        for hit in result.hits:
            click.echo(json.dumps(hit, ensure_ascii=False))
        tail = {"total": result.total, "facets": result.facets, "did_you_mean": result.did_you_mean, "notice": result.notice}
        click.echo(json.dumps(tail, ensure_ascii=False), err=True)
        return
    if result.notice:
        click.echo(f"note: {result.notice}", err=True)
    if result.did_you_mean:
        click.echo(f"Did you mean: {result.did_you_mean}")
    click.echo(f"{result.total} recommendations (page {result.page} of {result.pages})")
    for n, hit in enumerate(result.hits, start=(page - 1) * page_size + 1):
        force = hit["force"]["name"] if hit["force"] else "-"
        click.echo(f"\n{n}. {hit['reference'] or hit['case_id']} - {force} - {hit['status']} - {hit['date_recommended'] or 'undated'}  [{hit['id']}]")
        for name, snippet in hit["snippets"].items():
            click.echo(f"   {name}: {_terminal(snippet)}")


def _terminal(snippet: str) -> str:
    """A highlighted snippet for a terminal: <mark> as bold (dropped when not a terminal), entities unescaped."""
    import html
    import re

    return html.unescape(re.sub(r"<mark[^>]*>(.*?)</mark>", lambda m: click.style(m.group(1), bold=True), snippet))


@main.command()
@click.argument("recommendation_id")
@click.option("--limit", type=int, default=10, show_default=True)
@click.option("--same-force", is_flag=True, help="Include the recommending force's own recommendations.")
@click.pass_context
def similar(ctx, recommendation_id: str, limit: int, same_force: bool) -> None:
    """Recommendations most like one, made to other forces (JSON)."""
    from search.similar import similar as find

    index = _open_index(_settings(ctx))
    try:
        answer = find(index, recommendation_id, limit=limit, other_forces=not same_force)
    except IopcKgError as e:
        raise click.ClickException(e.message) from None
    finally:
        index.close()
    click.echo(json.dumps(answer, ensure_ascii=False, indent=2))


@main.command()
@click.option("--threshold", type=float, default=0.5, show_default=True, help="Cosine similarity that links two recommendations.")
@click.option("--min-forces", type=int, default=3, show_default=True)
@click.pass_context
def clusters(ctx, threshold: float, min_forces: int) -> None:
    """Groups of near-identical recommendations made to several forces (JSON lines)."""
    from search.similar import clusters as find

    index = _open_index(_settings(ctx))
    try:
        for cluster in find(index, threshold=threshold, min_forces=min_forces):
            click.echo(json.dumps(cluster, ensure_ascii=False))
    except IopcKgError as e:
        raise click.ClickException(e.message) from None
    finally:
        index.close()


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
    try:
        with open_store(settings, read_only=settings.store == "embedded") as source, open_store(target_settings) as target:
            with tqdm_bar(source.counts().get("Case", 0)) as bar:
                result = copy_graph(source, target, clear=clear, progress=bar.update)
            counts = target.counts()
    except IopcKgError as e:
        raise click.ClickException(e.message) from None
    click.echo(f"Copied {len(result.written)} cases ({len(result.unchanged)} unchanged, {len(result.failed)} failed) "
               f"into the {to_store} store: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    if result.failed:
        sys.exit(1)


def tqdm_bar(total: int):
    from tqdm import tqdm

    return tqdm(total=total, unit="case", disable=not sys.stderr.isatty())


@main.command()
@click.option("--format", "fmt", type=click.Choice(["ttl", "nt", "jsonld", "xml"]), default="ttl", show_default=True,
              help="Turtle, N-Triples, JSON-LD (with the published context) or RDF/XML.")
@click.option("--force", help="Only this force's cases.")
@click.option("--programme", help="Only the cases whose recommendations reach this programme.")
@click.option("--search", "query", help="Only the cases of this search's hits (the first 100).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="File to write (default: standard output).")
@click.pass_context
def export(ctx: click.Context, fmt: str, force: str | None, programme: str | None, query: str | None, output: Path | None) -> None:
    """Export the graph, or part of it, as RDF in standard vocabularies (streamed)."""
    from graph.export import case_ids_for, export as export_rdf
    from graph.open import open_store
    from graph.rdf import Terms

    settings = _settings(ctx)
    try:
        with open_store(settings, read_only=True) as store:
            case_ids = None
            if force or programme:
                case_ids = case_ids_for(store, force=force, programme=programme)
            elif query is not None:
                from search.query import Engine, Search

                index = _open_index(settings)
                try:
                    case_ids = [h["case_id"] for h in Engine(index).search(Search(q=query, page_size=100, facets=False, highlight=False)).hits]
                finally:
                    index.close()
            out = output.open("w", encoding="utf-8") if output else sys.stdout
            try:
                for piece in export_rdf(store, fmt, Terms(settings.base_iri), case_ids):
                    out.write(piece)
            finally:
                if output:
                    out.close()
    except IopcKgError as e:
        raise click.ClickException(e.message) from None


@main.command()
@click.option("--host", default=None, help="Address to bind (default: IOPC_KG_HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: IOPC_KG_PORT or 8000).")
@click.option("--workers", type=int, default=1, show_default=True,
              help="Server processes. More than one opens the embedded graph read-only (no ingest over HTTP).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, workers: int) -> None:
    """Serve the web explorer at /, the HTTP API and its OpenAPI docs at /docs, on the configured store."""
    import os

    import uvicorn

    from api.app import create_app

    settings = _settings(ctx)
    update = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    if workers > 1:
        update["read_only"] = True
    settings = settings.model_copy(update=update)
    click.echo(f"Serving the {settings.store} graph in {settings.data_dir} at http://{settings.host}:{settings.port}/ "
               f"(the web explorer; API docs at http://{settings.host}:{settings.port}/docs); Ctrl-C to stop.")
    common = {"host": settings.host, "port": settings.port, "server_header": False, "log_level": "warning", "access_log": False}
    if workers == 1:
        uvicorn.run(create_app(settings), **common)
        return
    # Worker processes build the app from the environment: hand them these settings that way.
    os.environ.update({"IOPC_KG_DATA_DIR": str(settings.data_dir), "IOPC_KG_STORE": settings.store, "IOPC_KG_READ_ONLY": "true"})
    uvicorn.run("api.app:app_from_environment", factory=True, workers=workers, **common)


# crawl, update and changes live in their own module (the crawler's commands).
from api.cli_crawl import register  # noqa: E402

register(main)

if __name__ == "__main__":
    main()

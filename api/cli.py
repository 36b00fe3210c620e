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
def parse(paths: tuple[Path, ...], no_merge: bool) -> None:
    """Parse pages and print one JSON object per case (directories are walked).

    A file that fails is reported on stderr with the reason; the others still print; the exit
    code is 1 if any file failed.
    """
    from ingest.pipeline import parse_paths

    result = parse_paths(list(paths), merge=not no_merge)
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
    """Parse pages and write them to the configured store; re-running never duplicates."""
    from graph.open import open_store
    from ingest.load import ingest_paths

    settings = _settings(ctx)
    try:
        with open_store(settings) as store:
            summary = ingest_paths(list(paths), store, progress=sys.stderr.isatty())
            counts = store.counts()
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
            f"({summary.written} written, {summary.unchanged} unchanged), {summary.warnings} warnings, "
            f"{len(summary.failures)} failures."
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


if __name__ == "__main__":
    main()

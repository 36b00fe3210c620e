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


def run() -> None:
    """Entry point that turns our errors into clean messages (no tracebacks for expected failures)."""
    try:
        main(standalone_mode=True)
    except IopcKgError as e:
        raise click.ClickException(e.message) from None


if __name__ == "__main__":
    main()

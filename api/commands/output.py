"""One `--format` for every command: `table` for a person, `csv`, `jsonl` or `json` for a program.

The default is `table` on a terminal and `jsonl` in a pipe. CSV is the API's (`api.formats`): the
same columns, the same flattening of nested values, whichever way the answer came.
"""

from __future__ import annotations

import json
import shutil
import sys
from typing import Any, Callable

import click

from api.formats import csv_text, flatten

FORMATS = ("table", "csv", "jsonl", "json")


def format_option(f):
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
                        help="Output: table (default on a terminal), csv, jsonl (default in a pipe) or json.")(f)


def chosen(fmt: str | None) -> str:
    return fmt or ("table" if sys.stdout.isatty() else "jsonl")


def write(text: str) -> None:
    sys.stdout.write(text)


def emit(data: Any, fmt: str | None, rows: Callable[[Any], list[dict]] | None = None,
         table: Callable[[Any], None] | None = None) -> None:
    """Print an answer. `rows` picks the list a CSV, JSON lines or a table shows (by default the
    answer itself when it is a list, else the answer as one row); `table` draws it its own way."""
    fmt = chosen(fmt)
    if fmt == "json":
        write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
        return
    if fmt == "table" and table is not None:
        table(data)
        return
    items = rows(data) if rows else (data if isinstance(data, list) else [data])
    if fmt == "jsonl":
        for item in items:
            write(json.dumps(item, ensure_ascii=False, default=str) + "\n")
    elif fmt == "csv":
        for piece in csv_text(items):
            write(piece)
    elif isinstance(data, dict) and rows is None:
        show_record(data)
    else:
        show_table(items)


def stream(response) -> None:
    """Copy a body from the API to standard output as it arrives."""
    out = sys.stdout.buffer
    for piece in response.iter_bytes():
        out.write(piece)
    out.flush()


def show_table(items: list[dict], columns: list[str] | None = None, widths: dict[str, int] | None = None) -> None:
    """Rows as aligned columns, each cell cut to fit the terminal's width."""
    flat = [flatten(_drop_links(i)) for i in items]
    if not flat:
        click.echo("(nothing)")
        return
    if columns is None:
        columns = []
        for row in flat:
            columns += [c for c in row if c not in columns]
    cells = [[_cell(row.get(c)) for c in columns] for row in flat]
    width = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    room = shutil.get_terminal_size((160, 24)).columns
    for i, c in enumerate(columns):  # the widest columns give way first
        width[i] = min(width[i], (widths or {}).get(c, 60))
    while sum(width) + 2 * len(width) > room and max(width) > 12:
        width[width.index(max(width))] -= 1
    line = lambda values: "  ".join(_fit(v, w) for v, w in zip(values, width)).rstrip()  # noqa: E731
    click.echo(line(columns))
    click.echo(line(["-" * w for w in width]))
    for r in cells:
        click.echo(line(r))


def show_record(data: dict, indent: str = "") -> None:
    """A nested answer (a profile) as `key: value` lines and small tables."""
    data = _drop_links(data)
    for key, value in data.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            click.echo(f"{indent}{key}:")
            show_table(value)
        elif isinstance(value, dict) and value and all(not isinstance(v, (dict, list)) for v in value.values()):
            click.echo(f"{indent}{key}: " + ", ".join(f"{k} {v}" for k, v in value.items()))
        elif isinstance(value, (dict, list)) and value:
            click.echo(f"{indent}{key}: {json.dumps(value, ensure_ascii=False, default=str)}")
        else:
            click.echo(f"{indent}{key}: {_cell(value)}")


def _drop_links(item):
    return {k: v for k, v in item.items() if k != "links"} if isinstance(item, dict) else item


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str) if value else ""
    return " ".join(str(value).split())


def _fit(text: str, width: int) -> str:
    return text.ljust(width) if len(text) <= width else text[:width - 1] + "…"

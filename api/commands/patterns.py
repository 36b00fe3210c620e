"""`iopc-kg patterns ...`: the relationship questions, one subcommand each, answered by the API."""

from __future__ import annotations

from urllib.parse import quote

import click

from api.commands.base import DATE, Group, note
from api.commands.output import chosen, emit, format_option, show_record, stream
from api.commands.read import connected


@click.group(cls=Group)
def patterns() -> None:
    """Cross-force patterns and profiles: spread, similarity, deadlines, a force's or programme's reach ...

    Forces, programmes, themes and bodies are named by id or name (`patterns force "Essex Police"`);
    `iopc-kg forces` (programmes, themes, bodies) lists them.
    """


def _tables(answer: dict) -> dict[str, list]:
    """A profile's sections that are tables: lists of records (a year's statuses, the programmes reached)."""
    return {k: v for k, v in answer.items() if isinstance(v, list) and any(isinstance(x, dict) for x in v)}


def _profile(kind: str, collection: str, doc: str, with_on: bool = False):
    @click.argument("name")
    @click.option("--section", default=None, metavar="TABLE",
                  help="One table of the profile (by_year, programmes, themes, bodies, ...), as rows: one CSV per table.")
    @format_option
    @click.pass_context
    def command(ctx, name: str, section, fmt, on=None) -> None:
        with connected(ctx) as api:
            answer = api.json(f"/{collection}/{quote(name, safe='')}", {"on": on.isoformat()} if on else None)
        tables = _tables(answer)
        if section is not None:
            if section not in tables:
                raise click.BadParameter(f"{section!r} is not a table of this profile; its tables: {', '.join(tables) or 'none'}",
                                         param_hint="--section")
            emit(tables[section], fmt)
        elif chosen(fmt) == "csv" and tables:
            # A spreadsheet cell holds a value, not a table: the summary here, each table with --section.
            emit({k: v for k, v in answer.items() if k not in tables}, fmt)
            note(ctx, f"Tables of this profile, one each with --section: {', '.join(tables)}")
        else:
            emit(answer, fmt)

    command.__doc__ = doc + " Its tables one at a time with --section (one CSV per table)."
    if with_on:
        command = click.option("--on", type=DATE, default=None, help="Date for overdue responses (default today).")(command)
    return patterns.command(name=kind)(command)


_profile("force", "forces", "A force's profile: recommendations by year and status, programmes, themes, bodies, overdue, forces most like it.", with_on=True)
_profile("programme", "programmes", "A programme's reach: forces, bodies, users, years, statuses.")
_profile("theme", "themes", "A theme's reach: the forces and bodies whose recommendations are about it.")
_profile("body", "bodies", "What a body was addressed or linked to, across which forces; its members.")


def _rows(ctx, path: str, params: dict, fmt: str | None, rows=None) -> None:
    """A list answer: csv and jsonl straight from the API, json and table from its JSON."""
    fmt = chosen(fmt)
    with connected(ctx) as api:
        if fmt in ("csv", "jsonl"):
            with api.stream(path, {**params, "format": fmt}) as response:
                stream(response)
            return
        answer = api.json(path, params)
    emit(answer, fmt, rows=rows)


@patterns.command()
@click.option("--kind", type=click.Choice(["programme", "theme"]), default="programme", show_default=True, help="What to rank.")
@click.option("--min-forces", type=click.IntRange(1, 100), default=2, show_default=True, help="Keep items reached by at least this many forces.")
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@format_option
@click.pass_context
def spread(ctx, kind, min_forces, limit, fmt) -> None:
    """Programmes or themes ranked by the number of forces they reach."""
    _rows(ctx, "/patterns/spread", {"kind": kind, "min_forces": min_forces, "limit": limit}, fmt)


@patterns.command()
@click.argument("force")
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True)
@format_option
@click.pass_context
def similar(ctx, force, limit, fmt) -> None:
    """Forces most like a force (Jaccard over the programmes and themes they reach)."""
    _rows(ctx, "/patterns/similarity", {"force": force, "limit": limit}, fmt)


@patterns.command()
@click.option("--pair", type=click.Choice(["programme-programme", "programme-theme"]), default="programme-programme", show_default=True)
@click.option("--min-count", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@format_option
@click.pass_context
def cooccurrence(ctx, pair, min_count, limit, fmt) -> None:
    """Programme pairs (or programme-theme pairs) named in the same recommendation or response."""
    _rows(ctx, "/patterns/cooccurrence", {"pair": pair, "min_count": min_count, "limit": limit}, fmt)


@patterns.command()
@click.option("--on", type=DATE, default=None, help="The day to judge on (default today): 2026-01-01, 01/01/2026 or 1 January 2026.")
@click.option("--force", default=None, help="Only this force (id or name).")
@click.option("--limit", type=click.IntRange(1, 100_000), default=None, help="Most overdue recommendations to list (default: all).")
@format_option
@click.pass_context
def deadlines(ctx, on, force, limit, fmt) -> None:
    """Overdue responses on a date (56 days: para 28B, Schedule 3, Police Reform Act 2002), per force."""
    params = {"on": on.isoformat() if on else None, "force": force, "limit": limit or 100_000}
    fmt = chosen(fmt)
    if fmt == "table":
        with connected(ctx) as api:
            answer = api.json("/patterns/deadlines", params)
        click.echo(f"{answer['total']} overdue on {answer['on']}")
        show_record({"per_force": answer["per_force"], "overdue": answer["overdue"]})
        return
    _rows(ctx, "/patterns/deadlines", params, fmt, rows=lambda a: a["overdue"])


@patterns.command()
@click.option("--by", type=click.Choice(["force", "year"]), default="force", show_default=True)
@format_option
@click.pass_context
def acceptance(ctx, by, fmt) -> None:
    """Accepted / partly / not accepted / awaiting / unknown, per force or per year."""
    _rows(ctx, "/patterns/acceptance", {"by": by}, fmt)


@patterns.command()
@click.option("--min-forces", type=click.IntRange(1, 100), default=2, show_default=True)
@format_option
@click.pass_context
def dependencies(ctx, min_forces, fmt) -> None:
    """Responses deferring to a shared body or national programme, with every force the decision spans."""
    _rows(ctx, "/patterns/dependencies", {"min_forces": min_forces}, fmt)




@patterns.command()
@click.option("--by", type=click.Choice(["force", "programme", "body"]), default="force", show_default=True,
              help="What a row is.")
@click.option("--sort", default="recommendations", show_default=True,
              help="Column to sort by: recommendations, accepted_share, partly_share, not_accepted_share, awaiting_share, "
                   "overdue, median_days_to_respond, name, forces (programmes and bodies), ...")
@click.option("--asc", is_flag=True, help="Smallest first (default: largest first).")
@click.option("--min-recommendations", type=click.IntRange(0, 10_000_000), default=0, show_default=True,
              help="Leave out rows with fewer recommendations.")
@click.option("--on", type=DATE, default=None, help="Date for overdue responses (default today).")
@format_option
@click.pass_context
def compare(ctx, by, sort, asc, min_recommendations, on, fmt) -> None:
    """Forces (or programmes, or bodies) side by side: recommendations, shares accepted / partly / not /
    awaiting, overdue now, median days to respond, top programmes and themes (forces) or the forces
    reached (programmes, bodies); sortable, one a row (csv for a spreadsheet)."""
    _rows(ctx, "/patterns/compare", {"by": by, "sort": sort, "order": "asc" if asc else "desc", "min_recommendations": min_recommendations,
                                     "on": on.isoformat() if on else None}, fmt)

"""The read commands: search, similar, clusters, the lists of forces, programmes, themes and bodies,
read-only Cypher and RDF export. Each asks the API (`api.client`): the running server's, or, when
none runs, the functions the routes call, in this process (`api.direct`; the app for the rest)."""

from __future__ import annotations

import html
import json
import re
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from urllib.parse import quote, unquote

from api.commands.base import DATE, note, param_pairs, settings
from api.formats import HEADERS
from api.commands.output import chosen, emit, format_option, show_table, stream


@contextmanager
def connected(ctx: click.Context):
    from api.client import connect

    client = connect(settings(ctx))
    try:
        yield client
    finally:
        client.close()


STATUSES = ["accepted", "partially_accepted", "not_accepted", "awaiting_response", "unknown"]


def filter_options(f):
    for option in reversed([
        click.option("--force", "forces", multiple=True, help="Only this force (id or name; repeat for any of several)."),
        click.option("--body", "bodies", multiple=True, help="Only recommendations addressed or linked to this body (id or name)."),
        click.option("--status", "statuses", multiple=True, type=click.Choice(STATUSES), help="Only this response status (repeatable)."),
        click.option("--programme", "programmes", multiple=True, help="Only recommendations naming this programme (id or name)."),
        click.option("--theme", "themes", multiple=True, help="Only recommendations about this theme (id or name)."),
        click.option("--year", "years", multiple=True, type=click.IntRange(1990, 2100), help="Only this year of recommendation."),
        click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]), default="relevance", show_default=True),
    ]):
        f = option(f)
    return f


@click.command()
@click.argument("query", required=False, default="")
@filter_options
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="At most this many hits (default: 10 in a table, every hit in csv, jsonl and json).")
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True, help="With --limit: which page of hits.")
@click.option("--highlight", is_flag=True, help="json: add snippets with the matched terms in <mark>.")
@click.option("--overdue", is_flag=True, help="Only recommendations whose response is overdue (no response or awaited, due date passed).")
@click.option("--on", type=DATE, default=None, help="With --overdue: the day to check (any usual spelling; default today).")
@click.option("--json", "as_json", is_flag=True, hidden=True, help="Same as --format jsonl (kept for old scripts).")
@format_option
@click.pass_context
def search(ctx, query, forces, bodies, statuses, programmes, themes, years, sort, limit, page, highlight, overdue, on, as_json,
           fmt) -> None:
    """Search every word of recommendations and responses.

    The query language: words, "phrases", AND / OR / NOT, field:value (force:essex, response:"governance
    group"), prefix*, fuzzy~, ranges (year:[2020 TO 2022]). Filters take ids or names, and an unknown
    one is an error. csv, jsonl and json hold every hit (no page cap) with the whole recommendation
    and response text and the source URL; a table shows snippets.
    """
    params = {"q": query, "force": list(forces), "body": list(bodies), "status": list(statuses), "programme": list(programmes),
              "theme": list(themes), "year": list(years), "sort": sort}
    if on is not None and not overdue:
        raise click.UsageError("--on is the day an --overdue search checks; give --overdue too")
    if overdue:
        params |= {"overdue": True, **({"on": on.isoformat()} if on else {})}
    fmt = "jsonl" if as_json and fmt is None else chosen(fmt)
    with connected(ctx) as api:
        if fmt != "table":
            extra = {"limit": limit, "offset": (page - 1) * limit} if limit else {}
            with api.stream("/export/search", {**params, "format": fmt, "highlight": highlight, **extra}) as response:
                stream(response)
                figures = {k: unquote(response.headers.get(h, "")) for k, h in HEADERS.items()}
            if figures["notice"]:
                note(ctx, f"Note: {figures['notice']}")
            if figures["did_you_mean"]:
                note(ctx, f"Did you mean: {figures['did_you_mean']}")
            note(ctx, f"{figures['total']} {'recommendation' if figures['total'] == '1' else 'recommendations'} found")
            return
        size = limit or 10
        result = api.json("/search", {**params, "page": page, "page_size": size, "facets": False})
    if result["notice"]:
        note(ctx, f"Note: {result['notice']}")
    if result["did_you_mean"]:
        note(ctx, f"Did you mean: {result['did_you_mean']}")
    noun = "recommendation" if result["total"] == 1 else "recommendations"
    click.echo(f"{result['total']} {noun} (page {result['page']} of {result['pages']})")
    for n, hit in enumerate(result["hits"], start=(page - 1) * size + 1):
        force = hit["force"]["name"] if hit["force"] else "-"
        title = f"{hit['reference'] or hit['case_id']} recommendation {hit.get('number') or ''}".strip()
        click.echo(f"\n{n}. {title} - {force} - {hit['status']} - {hit['date_recommended'] or 'undated'}  [{hit['id']}]")
        for name, snippet in hit["snippets"].items():
            click.echo(f"   {name}: {_terminal(snippet)}")


def _terminal(snippet: str) -> str:
    """A highlighted snippet for a terminal: <mark> as bold (dropped when not a terminal), entities unescaped."""
    return html.unescape(re.sub(r"<mark[^>]*>(.*?)</mark>", lambda m: click.style(m.group(1), bold=True), snippet))


@click.command()
@click.argument("recommendation_id")
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--same-force", is_flag=True, help="Include the recommending force's own recommendations.")
@format_option
@click.pass_context
def similar(ctx, recommendation_id: str, limit: int, same_force: bool, fmt) -> None:
    """Recommendations most like one (TF-IDF cosine), made to other forces."""
    with connected(ctx) as api:
        answer = api.json(f"/recommendations/{quote(recommendation_id, safe='')}/similar", {"limit": limit, "same_force": same_force})
    emit(answer, fmt, rows=lambda a: a["similar"])


@click.command()
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True), default=0.5, show_default=True,
              help="Cosine similarity that links two recommendations.")
@click.option("--min-forces", type=click.IntRange(1, 50), default=3, show_default=True)
@click.option("--limit", type=click.IntRange(1, 500), default=500, show_default=True, help="Most clusters.")
@format_option
@click.pass_context
def clusters(ctx, threshold: float, min_forces: int, limit: int, fmt) -> None:
    """Groups of near-identical recommendations made to several forces."""
    with connected(ctx) as api:
        found = api.json("/clusters", {"threshold": threshold, "min_forces": min_forces, "limit": limit})
    emit(found, fmt, rows=lambda rows: [{k: v for k, v in c.items() if k != "members"}
                                        | {"members": [m["id"] for m in c["members"]]} for c in rows]
         if chosen(fmt) in ("csv", "table") else rows)


@click.command()
@click.argument("query")
@click.option("--param", "-p", multiple=True, help="A parameter as name=value (repeatable); values are strings.")
@format_option
@click.pass_context
def cypher(ctx: click.Context, query: str, param: tuple[str, ...], fmt) -> None:
    """Run a read-only Cypher query (writes are refused; time limit and row cap are settings)."""
    params = param_pairs(param)
    with connected(ctx) as api:
        result = api.request("POST", "/query/cypher", json={"query": query, "params": params}).json()
    if result.get("truncated"):
        note(ctx, f"Note: the answer was cut at the row cap ({len(result['rows'])} rows; the max_rows setting)")
    emit(result["rows"], fmt)


def list_command(name: str, summary: str, columns: list[str]):
    @click.command(name=name, help=summary + " Use the ids or names shown wherever a command names one.")
    @format_option
    @click.pass_context
    def command(ctx, fmt) -> None:
        with connected(ctx) as api:
            fmt = chosen(fmt)
            if fmt in ("csv", "jsonl"):
                with api.stream(f"/{name}", {"format": fmt}) as response:
                    stream(response)
                return
            rows = [json.loads(line) for line in api.get(f"/{name}", {"format": "jsonl"}).text.splitlines() if line]
        if fmt == "table":
            show_table(rows, columns)
        else:
            emit(rows, fmt)

    return command


LISTS = [
    list_command("forces", "The police forces (43 territorial, BTP, MDP, CNC) with their number of recommendations.",
                 ["id", "name", "kind", "recommendations"]),
    list_command("programmes", "Programmes, systems and operations, ranked by the number of forces they reach.",
                 ["id", "name", "kind", "forces", "recommendations"]),
    list_command("themes", "The themes of the taxonomy, ranked by the number of forces they reach.",
                 ["id", "name", "forces", "recommendations"]),
    list_command("bodies", "National bodies, local policing bodies and shared governance groups.", ["id", "name", "kind"]),
]


GRAPH_FORMATS = ("graphml", "gexf")
# Which route draws each graph `export --format graphml|gexf` writes, and the parameters it takes.
GRAPHS = {"overview": "/graph/overview", "neighbourhood": "/graph/neighbourhood", "cooccurrence": "/patterns/cooccurrence",
          "similarity": "/patterns/similarity", "spread": "/patterns/spread"}


@click.command()
@click.option("--format", "fmt", type=click.Choice(["ttl", "nt", "jsonld", "xml", *GRAPH_FORMATS]), default="ttl", show_default=True,
              help="Turtle, N-Triples, JSON-LD (with the published context) or RDF/XML; or a network for Gephi as GraphML or GEXF (see --graph).")
@click.option("--graph", "graph", type=click.Choice(list(GRAPHS)), default="overview", show_default=True,
              help="graphml/gexf: which network: forces and what they reach, a node's neighbourhood (--node), programme "
                   "co-occurrence (--pair), the forces most like --force, or programme spread. Whole: every node and edge.")
@click.option("--node", help="graphml/gexf --graph neighbourhood: the node, kind:id (force:essex, programme:athena).")
@click.option("--depth", type=click.IntRange(1, 3), default=1, show_default=True, help="graphml/gexf --graph neighbourhood: hops.")
@click.option("--pair", type=click.Choice(["programme-programme", "programme-theme"]), default="programme-programme", show_default=True,
              help="graphml/gexf --graph cooccurrence: which pairs.")
@click.option("--force", help="Only this force's cases (id or name); graphml/gexf --graph similarity: the force to compare.")
@click.option("--programme", help="Only the cases whose recommendations reach this programme (id or name).")
@click.option("--search", "query", help="Only the cases of this search's hits (the first max_page_size hits).")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="File to write, or a directory to write the dump into under its dated name "
                   "(iopc-kg-0.2.0-2026-11-29.ttl) (default: standard output).")
@click.pass_context
def export(ctx: click.Context, fmt: str, graph: str, node: str | None, depth: int, pair: str, force: str | None,
           programme: str | None, query: str | None, output: Path | None) -> None:
    """Export the graph, or part of it, as RDF in standard vocabularies (streamed). The dump names its
    release and date (in its DCAT description, and in its file name when written into a directory).

    With --format graphml or gexf, a network for Gephi (--graph): whole, every node labelled by its
    name, the numbers of nodes and edges in the file and on standard error.

    RDF has its own formats: for tables of recommendations use `search --format csv`.
    """
    if fmt in GRAPH_FORMATS:
        _export_graph(ctx, fmt, graph, {"node": node, "depth": depth, "pair": pair, "force": force}, output)
        return
    from datetime import date

    from api.routes.linked import dump_name
    from graph.rdf import FORMATS, version

    params = {"format": fmt, "force": force, "programme": programme, "q": query}
    issued = date.today().isoformat()
    with connected(ctx) as api:
        if force:
            params["force"] = api.json(f"/forces/{quote(force, safe='')}")["id"]
        if programme:
            params["programme"] = api.json(f"/programmes/{quote(programme, safe='')}")["id"]
        if output is not None and output.is_dir():
            output = output / dump_name(FORMATS[fmt][2], issued, force or programme or ("search" if query is not None else None))
        out = output.open("wb") if output else sys.stdout.buffer
        try:
            if api.remote:
                with api.stream("/export", params) as response:
                    for piece in response.iter_bytes():
                        out.write(piece)
            else:  # in this process: write as the store yields, not through a buffered response
                from graph.export import case_ids_for, export as export_rdf
                from graph.rdf import Terms
                from search.query import Search

                case_ids = None
                if force or programme:
                    case_ids = case_ids_for(api.store, force=params["force"], programme=params["programme"])
                elif query is not None:
                    found = api.engine.search(
                        Search(q=query, page_size=api.settings.max_page_size, facets=False, highlight=False))
                    case_ids = [h["case_id"] for h in found.hits]
                for piece in export_rdf(api.store, fmt, Terms(api.settings.base_iri), case_ids, issued=issued):
                    out.write(piece.encode("utf-8"))
        finally:
            out.flush()
            if output:
                out.close()
    click.echo(f"Exported iopc-kg {version()} of {issued} as {fmt}" + (f" to {output}" if output else ""), err=True)


def _export_graph(ctx: click.Context, fmt: str, graph: str, options: dict, output: Path | None) -> None:
    """One network of `GRAPHS` as GraphML or GEXF, streamed to `output` (a file, a directory to write
    it into under its own name, or standard output)."""
    needs = {"neighbourhood": "node", "similarity": "force"}.get(graph)
    if needs and not options[needs]:
        raise click.UsageError(f"--graph {graph} needs --{needs}")
    wanted = {"neighbourhood": ("node", "depth"), "similarity": ("force",), "cooccurrence": ("pair",)}.get(graph, ())
    params = {"format": fmt, **{k: options[k] for k in wanted}}
    if graph == "similarity":
        params["limit"] = 100  # every force
    elif graph == "spread":
        params["min_forces"] = 1
    elif graph == "overview":
        params["kinds"] = ["programme", "theme", "addressed_to", "linked_body"]
    with connected(ctx) as api, api.stream(GRAPHS[graph], params) as response:
        name = re.search(r'filename="([^"]+)"', response.headers.get("content-disposition", ""))
        target = output / (name.group(1) if name else f"{graph}.{fmt}") if output is not None and output.is_dir() else output
        out = target.open("wb") if target else sys.stdout.buffer
        try:
            for piece in response.iter_bytes():
                out.write(piece)
        finally:
            out.flush()
            if target:
                out.close()
        h = response.headers
    cut = h.get("x-truncated") == "true"
    note(ctx, f"Exported the {graph} network as {fmt}" + (f" to {target}" if target else "") + f": {h.get('x-shown-nodes')} nodes and "
              f"{h.get('x-shown-edges')} edges" + (f" of {h.get('x-total-nodes')} and {h.get('x-total-edges')}" if cut else " (all of them)"))


COMMANDS = [search, similar, clusters, cypher, export, *LISTS]

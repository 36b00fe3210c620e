"""Cross-force patterns, the graph around a node, paths, and read-only Cypher."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import ServicesDep, SettingsDep, StoreDep
from api.errors import ERROR_RESPONSES
from api.formats import GRAPH_TYPES, graph_response
from api.resolve import resolve
from api.routes.entities import CSV_RESPONSE, Day, Format, as_date, rows_response
from ontology.exc import InvalidData
from ontology.model import model

router = APIRouter(responses=ERROR_RESPONSES)
# A count no corpus reaches, below what both stores take as an integer parameter (a 64-bit one
# refused 2**63 with a 500).
MAX_COUNT = 10_000_000
NODE_REF = rf"^({'|'.join(s.key for s in model.schemas.values())}):.+$"

GraphFormat = Annotated[Literal["json", "csv", "jsonl", "graphml", "gexf"], Query(
    title="Format", description="`json`, `csv` or `jsonl` (the rows), or `graphml` / `gexf` (the answer as a graph, for Gephi).")]
GRAPH_RESPONSE = {200: {"content": {"text/csv": {}, "application/x-ndjson": {}, **{t: {} for t in GRAPH_TYPES.values()}},
                        "description": "JSON, CSV, JSON lines, GraphML or GEXF by `format`."}}


def _answer(rows: list[dict], fmt: str, name: str, graph=None, settings=None, columns: list[str] | None = None):
    if fmt in ("csv", "jsonl"):
        return rows_response(rows, fmt, name, settings, columns)
    if fmt in GRAPH_TYPES:
        return graph_response(graph(rows), fmt, name)
    return rows


def _graph(nodes: dict[str, dict], edges: list[dict], directed: bool = False) -> dict:
    return {"nodes": [{"key": k, **v} for k, v in nodes.items()], "edges": edges, "directed": directed}


# -- patterns --------------------------------------------------------------------------------------

@router.get("/patterns/spread", response_model=list[dict[str, Any]], tags=["patterns"], responses=GRAPH_RESPONSE,
            summary="Cross-force spread",
            description="Programmes or themes ranked by the number of distinct forces whose recommendations (or the "
                        "responses to them) reach them. As a graph: forces linked to what they reach.")
def spread(store: StoreDep, settings: SettingsDep,
           kind: Annotated[Literal["programme", "theme"], Query(title="Kind", description="Rank programmes or themes.")] = "programme",
           min_forces: Annotated[int, Query(ge=1, le=100, title="Minimum forces", description="Keep items reached by at least this many forces.")] = 2,
           limit: Annotated[int | None, Query(ge=1, le=1000, title="Limit", description="Most rows to return: 100 by default; GraphML / GEXF every one by default.")] = None,
           format: GraphFormat = "json"):
    rows = store.spread(kind, min_forces=min_forces, limit=limit or (MAX_COUNT if format in GRAPH_TYPES else 100))

    def graph(rows):
        nodes, edges = {}, []
        names = store.names_of({("Force", f) for r in rows for f in r["force_ids"]})
        for r in rows:
            nodes[f"{kind}:{r['id']}"] = {"label": kind.capitalize(), "id": r["id"], "name": r["name"], "forces": r["forces"]}
            for f in r["force_ids"]:
                nodes.setdefault(f"force:{f}", {"label": "Force", "id": f, "name": names.get(("Force", f), f)})
                edges.append({"source": f"force:{f}", "target": f"{kind}:{r['id']}", "type": "REACHES"})
        return _graph(nodes, edges)

    return _answer(rows, format, f"spread-{kind}", graph, settings, ["id", "name", "forces", "recommendations", "force_ids"])


@router.get("/patterns/similarity", response_model=list[dict[str, Any]], tags=["patterns"], responses=GRAPH_RESPONSE,
            summary="Forces most like a force",
            description="Forces ranked by Jaccard similarity of the programmes and themes their recommendations reach, "
                        "with the shared items listed.")
def similarity(store: StoreDep, settings: SettingsDep,
               force: Annotated[str, Query(title="Force", description="Force id or name.", examples=["essex"])],
               limit: Annotated[int, Query(ge=1, le=100, title="Limit", description="Most forces to return.")] = 10,
               format: GraphFormat = "json"):
    force = resolve(store, "Force", force)
    rows = store.similar_forces(force, limit=limit)

    def graph(rows):
        nodes = {f"force:{force}": {"label": "Force", "id": force, "name": store.names_of({("Force", force)}).get(("Force", force), force)}}
        edges = []
        for r in rows:
            nodes[f"force:{r['id']}"] = {"label": "Force", "id": r["id"], "name": r["name"]}
            edges.append({"source": f"force:{force}", "target": f"force:{r['id']}", "type": "SIMILAR", "weight": r["score"]})
        return _graph(nodes, edges)

    return _answer(rows, format, f"similar-to-{force}", graph, settings, ["id", "name", "score", "shared_programmes", "shared_themes"])


@router.get("/patterns/cooccurrence", response_model=list[dict[str, Any]], tags=["patterns"], responses=GRAPH_RESPONSE,
            summary="Co-occurrence",
            description="Programme–programme or programme–theme pairs named in the same recommendation or its response, with counts.")
def cooccurrence(store: StoreDep, settings: SettingsDep,
                 pair: Annotated[Literal["programme-programme", "programme-theme"], Query(title="Pair", description="Which pairs to count.")] = "programme-programme",
                 min_count: Annotated[int, Query(ge=1, le=MAX_COUNT, title="Minimum count", description="Keep pairs seen at least this often.")] = 1,
                 limit: Annotated[int | None, Query(ge=1, le=1000, title="Limit", description="Most pairs to return: 100 by default; GraphML / GEXF every one by default.")] = None,
                 format: GraphFormat = "json"):
    rows = store.cooccurrence(pair, min_count=min_count, limit=limit or (MAX_COUNT if format in GRAPH_TYPES else 100))
    b_kind = pair.split("-")[1]

    def graph(rows):
        nodes, edges = {}, []
        for r in rows:
            nodes.setdefault(f"programme:{r['a']}", {"label": "Programme", "id": r["a"], "name": r["a_name"]})
            nodes.setdefault(f"{b_kind}:{r['b']}", {"label": b_kind.capitalize(), "id": r["b"], "name": r["b_name"]})
            edges.append({"source": f"programme:{r['a']}", "target": f"{b_kind}:{r['b']}", "type": "CO_OCCURS", "weight": r["count"]})
        return _graph(nodes, edges)

    return _answer(rows, format, f"cooccurrence-{pair}", graph, settings, ["a", "a_name", "b", "b_name", "count"])


class Deadlines(BaseModel):
    on: str
    total: int = Field(description="Overdue recommendations in all.")
    overdue: list[dict[str, Any]] = Field(description="Recommendations with no response, or one still awaited, past their due date.")
    per_force: list[dict[str, Any]]


@router.get("/patterns/deadlines", response_model=Deadlines, tags=["patterns"], responses=CSV_RESPONSE,
            summary="Overdue responses",
            description="Recommendations whose response is overdue on `on` (no response, or awaiting, and the 56-day due "
                        "date passed: para 28B, Schedule 3, Police Reform Act 2002), per force.")
def deadlines(store: StoreDep, settings: SettingsDep,
              on: Day = None,
              force: Annotated[str | None, Query(title="Force", description="Only this force (id or name).")] = None,
              limit: Annotated[int | None, Query(ge=1, le=100_000, title="Limit", description="Most overdue recommendations to list, longest overdue first (the per-force counts and the total count them all); default 100 as JSON, every one as CSV or JSON lines.")] = None,
              format: Format = "json"):
    if force is not None:
        force = resolve(store, "Force", force)
    if limit is None and format == "json":
        limit = 100
    answer = store.deadlines(on=as_date(on, "on"), force_id=force, limit=limit)
    for r in answer["overdue"]:
        r["links"] = {"self": f"/recommendations/{r['rec_id']}"}
    if format != "json":
        return rows_response(answer["overdue"], format, "overdue", settings, ["rec_id", "case_id", "reference", "force_id", "status", "due",
                             "force_name", "days_overdue", "links.self"], total=answer["total"], on=answer["on"])
    return answer


@router.get("/patterns/acceptance", response_model=list[dict[str, Any]], tags=["patterns"], responses=CSV_RESPONSE,
            summary="Acceptance", description="Accepted / partly accepted / not accepted / awaiting / unknown, per force or per year.")
def acceptance(store: StoreDep, settings: SettingsDep, by: Annotated[Literal["force", "year"], Query(title="By", description="Group per force or per year.")] = "force", format: Format = "json"):
    rows = store.acceptance(by)
    columns = [by, "total", *(["name"] if by == "force" else []), "accepted", "partially_accepted", "not_accepted",
               "awaiting_response", "unknown"]
    return rows_response(rows, format, f"acceptance-by-{by}", settings, columns) if format != "json" else rows


@router.get("/patterns/dependencies", response_model=list[dict[str, Any]], tags=["patterns"], responses=CSV_RESPONSE,
            summary="Shared dependencies",
            description="Bodies and programmes that responses defer to, with every force the one decision spans (the "
                        "seed's Athena response waits on the governance group of every Athena force).")
def dependencies(store: StoreDep, settings: SettingsDep, min_forces: Annotated[int, Query(ge=1, le=100, title="Minimum forces", description="Keep targets whose decision spans at least this many forces.")] = 2, format: Format = "json"):
    rows = store.shared_dependencies(min_forces=min_forces)
    columns = ["label", "id", "name", "deferrals", "deferring_forces", "forces_spanned"]
    return rows_response(rows, format, "dependencies", settings, columns) if format != "json" else rows


# -- the graph ------------------------------------------------------------------------------------

class GraphAnswer(BaseModel):
    nodes: list[dict[str, Any]] = Field(description="Nodes with `key` (kind:id), `label` (the kind) and properties.")
    edges: list[dict[str, Any]] = Field(description="Edges with `source`, `target` (node keys) and `type`.")
    truncated: bool = False


def _node(ref: str, name: str) -> tuple[str, str]:
    kind_key, _, id = ref.partition(":")
    try:
        kind = model.kind_for_key(kind_key).name
    except KeyError:
        kinds = ", ".join(s.key for s in model.schemas.values())
        raise InvalidData(f"{name} must be kind:id with kind one of {kinds}", errors={name: ref}) from None
    if not id:
        raise InvalidData(f"{name} must be kind:id, e.g. force:essex", errors={name: ref})
    return kind, id


class NeighbourhoodAnswer(GraphAnswer):
    rank: str = Field(description="How the nodes kept were chosen when a ring held more than `max_nodes` allows.")
    total_nodes: int = Field(description="Nodes found within `depth` hops, kept or not (a cut ring's nodes are not followed).")
    total_edges: int = Field(description="Edges found among and out of those nodes, kept or not.")


@router.get("/graph/neighbourhood", response_model=NeighbourhoodAnswer, tags=["graph"], responses=GRAPH_RESPONSE,
            summary="A node's neighbourhood",
            description="Nodes and edges within `depth` hops of a node, breadth first, up to `max_nodes`, in a shape a graph "
                        "viewer draws; when a ring holds more nodes than there is room for, `rank` chooses which are kept, and "
                        "`total_nodes` / `total_edges` count them all. GraphML or GEXF with `format`: every node within `depth` "
                        "unless `max_nodes` is given, the figures in the file and in `X-Total-Nodes`, `X-Total-Edges`, "
                        "`X-Truncated` headers.")
def neighbourhood(store: StoreDep, settings: SettingsDep,
                  node: Annotated[str, Query(title="Node", description="kind:id, e.g. force:essex or programme:athena.", examples=["force:essex"], pattern=NODE_REF)],
                  depth: Annotated[int, Query(ge=1, le=MAX_COUNT, title="Depth", description="Hops, 1 to the `max_depth` setting.")] = 1,
                  max_nodes: Annotated[int | None, Query(ge=1, le=MAX_COUNT, title="Most nodes", description="Cap on nodes: JSON 200 by default and at most the `max_nodes` setting; GraphML / GEXF every node by default.")] = None,
                  rank: Annotated[Literal["recent", "weight", "id"], Query(title="Rank", description="Which nodes a cut keeps: `recent` (newest recommendations and cases first), `weight` (most connected first) or `id`.")] = "recent",
                  format: Annotated[Literal["json", "graphml", "gexf"], Query(title="Format", description="`json`, or `graphml` / `gexf` for Gephi.")] = "json"):
    if depth > settings.max_depth:
        raise InvalidData(f"depth may be at most {settings.max_depth}", errors={"depth": f"at most {settings.max_depth}"})
    if format == "json":
        max_nodes = 200 if max_nodes is None else max_nodes
        if max_nodes > settings.max_nodes:
            raise InvalidData(f"max_nodes may be at most {settings.max_nodes}", errors={"max_nodes": f"at most {settings.max_nodes}"})
    kind, id = _node(node, "node")
    answer = store.neighbourhood(kind, id, depth=depth, max_nodes=max_nodes, rank=rank)
    if format in GRAPH_TYPES:
        return graph_response(answer, format, f"neighbourhood-{kind.lower()}-{id}")
    return answer


class OverviewAnswer(GraphAnswer):
    kinds: list[str] = Field(description="The relation kinds drawn.")
    min_weight: int = Field(description="Edges lighter than this were left out.")
    total_edges: int = Field(description="Edges of these kinds at least `min_weight` heavy; `edges` holds the heaviest `max_edges`.")
    total_nodes: int = Field(description="Nodes those edges join; `nodes` holds those the shown edges join.")


OVERVIEW_KINDS = Literal["programme", "theme", "addressed_to", "linked_body", "uses", "member_of"]


@router.get("/graph/overview", response_model=OverviewAnswer, tags=["graph"], responses=GRAPH_RESPONSE,
            summary="Forces and what their recommendations reach",
            description="Forces linked to the programmes (`programme`: mentioned in a recommendation or its response), themes "
                        "(`theme`) and bodies (`addressed_to`, `linked_body`) their recommendations reach, each edge weighted by "
                        "the number of recommendations; `uses` and `member_of` add the gazetteer's edges (weight 1). The "
                        "heaviest `max_edges` edges are returned, with `total_edges` and `total_nodes` saying how many there are.")
def overview(store: StoreDep, settings: SettingsDep,
             kinds: Annotated[list[OVERVIEW_KINDS], Query(title="Relation kinds", description="Which relations to draw (repeat the parameter).")] = ["programme", "theme", "addressed_to"],  # noqa: B006 - FastAPI copies defaults
             min_weight: Annotated[int, Query(ge=1, title="Minimum weight", description="Keep edges of at least this many recommendations.")] = 1,
             max_edges: Annotated[int | None, Query(ge=1, le=MAX_COUNT, title="Most edges", description="The heaviest edges to return: JSON 150 by default and at most the `max_nodes` setting; GraphML / GEXF every edge by default (the figures in the file and its headers).")] = None,
             format: Annotated[Literal["json", "graphml", "gexf"], Query(title="Format", description="`json`, or `graphml` / `gexf` for Gephi.")] = "json"):
    if format == "json":
        max_edges = 150 if max_edges is None else max_edges
        if max_edges > settings.max_nodes:
            raise InvalidData(f"max_edges may be at most {settings.max_nodes}", errors={"max_edges": f"at most {settings.max_nodes}"})
    answer = store.overview(tuple(sorted(set(kinds))), min_weight=min_weight, max_edges=max_edges)
    if format in GRAPH_TYPES:
        return graph_response(answer, format, "overview")
    return answer


@router.get("/graph/path", response_model=list[GraphAnswer], tags=["graph"], responses=GRAPH_RESPONSE,
            summary="Shortest paths between two nodes",
            description="Every shortest path (up to `limit`) between two nodes, e.g. two forces through a shared programme or body.")
def path(store: StoreDep,
         source: Annotated[str, Query(alias="from", title="From", description="kind:id", examples=["force:essex"], pattern=NODE_REF)],
         target: Annotated[str, Query(alias="to", title="To", description="kind:id", examples=["force:kent"], pattern=NODE_REF)],
         max_length: Annotated[int, Query(ge=1, le=10, title="Longest path", description="Longest path to look for, in edges.")] = 6,
         limit: Annotated[int, Query(ge=1, le=100, title="Limit", description="Most paths to return.")] = 10,
         format: Annotated[Literal["json", "graphml", "gexf"], Query(title="Format", description="`json`, or `graphml` / `gexf` for Gephi.")] = "json"):
    found = store.paths(_node(source, "from"), _node(target, "to"), max_length=max_length, limit=limit)
    if format in GRAPH_TYPES:
        nodes = {n["key"]: n for p in found for n in p["nodes"]}
        edges = {(e["source"], e["target"], e["type"]): e for p in found for e in p["edges"]}
        return graph_response({"nodes": list(nodes.values()), "edges": list(edges.values())}, format, "paths")
    return [{"nodes": p["nodes"], "edges": p["edges"], "truncated": False} for p in found]


class CypherRequest(BaseModel):
    query: str = Field(description="A read-only Cypher query.", min_length=1, max_length=20_000,
                       examples=["MATCH (f:Force)-[:USES]->(p:Programme {id: $id}) RETURN f.name AS force"])
    params: dict[str, Any] = Field(default_factory=dict, description="Query parameters.", examples=[{"id": "athena"}])


class CypherAnswer(BaseModel):
    rows: list[dict[str, Any]]
    truncated: bool = Field(description="True when the row cap cut the answer.")


@router.post("/query/cypher", response_model=CypherAnswer, tags=["graph"], summary="Read-only Cypher",
             description="Run one Cypher statement in the query sandbox: a worker process on a read-only handle, with a time "
                         "limit (`query_timeout_ms`, then 504), a memory cap (`query_memory_mb`) and a row cap (`max_rows`); "
                         "only read clauses (MATCH, OPTIONAL MATCH, WHERE, WITH, UNWIND, RETURN, ORDER BY, SKIP, LIMIT, UNION). "
                         "Anything else (writes, LOAD, COPY, CALL, procedures, USE, transactions, a second statement) is a 400 "
                         "that names it. See SECURITY.md.")
async def cypher(services: ServicesDep, settings: SettingsDep, request: CypherRequest):
    return await services.sandbox.cypher_async(request.query, request.params, max_rows=settings.max_rows,
                                               timeout_ms=settings.query_timeout_ms)

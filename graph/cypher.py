"""Every Cypher statement of iopc-kg, as named constants that take parameters only.

Shared where LadybugDB and Neo4j agree; paired in `DIALECTS` where they do not (label functions,
shortest paths, schema DDL). Labels and relationship types are interpolated only from the validated
ontology model (see `ontology/model.py`), never from input: Cypher cannot take them as parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

from ontology.model import Edge, Schema, model

# A recommendation reaches a programme or theme through its own text or through its response: the
# edges walk written as a UNION of two fixed-length patterns (LadybugDB evaluates
# `-[:MENTIONS|RESPONDS_TO*1..2]-` by expanding every path first: 1.4 s for one force at 10k cases,
# against 10 ms for the union), or the copies on Recommendation nodes where only ids are needed.


def label(kind: str) -> str:
    """A node label from the model, back-quoted (`Case` is a reserved word in LadybugDB)."""
    if kind not in model.schemas:
        raise ValueError(f"unknown node kind {kind!r}")
    return f"`{kind}`"


# -- writes --------------------------------------------------------------------------------------

DELETE_RESPONSES = """
UNWIND $ids AS cid
MATCH (:`Case` {id: cid})-[:HAS_RECOMMENDATION]->(:Recommendation)<-[:RESPONDS_TO]-(s:Response)
DETACH DELETE s"""
DELETE_RECOMMENDATIONS = """
UNWIND $ids AS cid
MATCH (:`Case` {id: cid})-[:HAS_RECOMMENDATION]->(r:Recommendation)
DETACH DELETE r"""
DELETE_CASES = """
UNWIND $ids AS cid
MATCH (c:`Case` {id: cid})
DETACH DELETE c"""
DELETE_OBSERVATIONS = """
UNWIND $ids AS cid
MATCH (:`Case` {id: cid})-[:HAS_RECOMMENDATION]->(:Recommendation)<-[:OBSERVATION_OF]-(o:Observation)
DETACH DELETE o"""
DELETE_BY_CASE = (DELETE_OBSERVATIONS, DELETE_RESPONSES, DELETE_RECOMMENDATIONS, DELETE_CASES)
# Stored state of the cases about to be written: unchanged ones are skipped, changed ones replaced.
CASE_STATE = "UNWIND $ids AS cid MATCH (c:`Case` {id: cid}) RETURN c.id AS id, c.content_hash AS hash, c.record AS record"
# Every case's content hash (the search index is checked against it at start) and records by id.
# `bare`: nothing of the case goes into the search index (header-only, or its page says it made no recommendation).
CASE_HASHES = ("MATCH (c:`Case`) RETURN c.id AS id, c.content_hash AS hash, "
               "(c.incomplete OR c.no_recommendations IS NOT NULL) AS bare")
CASE_HASHES_BY_ID = ("UNWIND $ids AS cid MATCH (c:`Case` {id: cid}) RETURN c.id AS id, c.content_hash AS hash, "
                     "(c.incomplete OR c.no_recommendations IS NOT NULL) AS bare")
CASE_RECORDS_BY_ID = "UNWIND $ids AS cid MATCH (c:`Case` {id: cid}) RETURN c.record AS record"
# Source pages no case is derived from any more (a re-upload under another name, a merged rendering
# dropped): shared nodes, so removed by this check after a case is replaced rather than with it.
DELETE_ORPHAN_SOURCES = """
UNWIND $ids AS i
MATCH (s:Source {id: i})
WHERE NOT EXISTS { MATCH (:`Case`)-[:DERIVED_FROM]->(s) }
DETACH DELETE s"""


# Statements keyed by id use one single-node MATCH per clause: LadybugDB plans those as primary-key
# lookups, whereas `MATCH (a {..}), (b {..})` and MERGE scan the whole table (quadratic loads).

def delete_by_id(kind: str) -> str:
    return f"UNWIND $ids AS i MATCH (n:{label(kind)} {{id: i}}) DETACH DELETE n"


def existing_ids(kind: str) -> str:
    return f"UNWIND $ids AS i MATCH (n:{label(kind)} {{id: i}}) RETURN n.id AS id"


def update_nodes(schema: Schema) -> str:
    sets = ", ".join(f"n.{p} = r.{p}" for p in schema.properties)
    return f"UNWIND $rows AS r MATCH (n:{label(schema.name)} {{id: r.id}}) SET {sets}"


def create_nodes(schema: Schema) -> str:
    props = ", ".join(f"{p}: r.{p}" for p in ["id", *schema.properties])
    return f"UNWIND $rows AS r CREATE (n:{label(schema.name)} {{{props}}})"


def merge_nodes(schema: Schema, overwrite: bool) -> str:
    """Upsert shared nodes. Gazetteer rows overwrite; rows from records only fill new nodes."""
    sets = ", ".join(f"n.{p} = r.{p}" for p in schema.properties)
    verb = "SET" if overwrite else "ON CREATE SET"
    return f"UNWIND $rows AS r MERGE (n:{label(schema.name)} {{id: r.id}}) {verb} {sets}"


def create_edges(edge: Edge, src: str, dst: str, dialect: "Dialect | None" = None) -> str:
    props = ", ".join(f"{p}: {dialect.typed(f'r.{p}', prop.type.name) if dialect else f'r.{p}'}" for p, prop in edge.properties.items())
    body = f" {{{props}}}" if props else ""
    return (f"UNWIND $rows AS r MATCH (a:{label(src)} {{id: r.src}}) MATCH (b:{label(dst)} {{id: r.dst}}) "
            f"CREATE (a)-[:{edge.type}{body}]->(b)")


def merge_edges(edge: Edge, src: str, dst: str) -> str:
    return (f"UNWIND $rows AS r MATCH (a:{label(src)} {{id: r.src}}) MATCH (b:{label(dst)} {{id: r.dst}}) "
            f"MERGE (a)-[:{edge.type}]->(b)")


# -- the schema's fingerprint ---------------------------------------------------------------------
# A node outside the ontology records which schema wrote the graph, so that an upgrade that changes
# tables or what is written rebuilds the graph from its stored case records instead of failing.
META = "IopcKgMeta"
# The keys cases are found by when a rendering arrives (ontology/identity.py, graph/keys.py): in Neo4j a
# table the store keeps for itself, as it keeps META, outside the ontology (never exported or counted);
# a key is a node whose primary key is the key, so finding the cases of a batch's keys is an index seek.
# The embedded store keeps them in a file beside the graph; its graphs of earlier releases held them
# as tables, dropped when such a graph is rebuilt.
KEY, HAS_KEY = "IopcKgKey", "IOPC_KG_HAS_KEY"
MERGE_KEYS = f"UNWIND $rows AS r MERGE (k:{KEY} {{id: r.id}})"
LINK_KEYS = f"UNWIND $rows AS r MATCH (c:`Case` {{id: r.src}}) MATCH (k:{KEY} {{id: r.dst}}) CREATE (c)-[:{HAS_KEY}]->(k)"
CASES_BY_KEYS = f"UNWIND $keys AS key MATCH (:{KEY} {{id: key}})<-[:{HAS_KEY}]-(c:`Case`) RETURN DISTINCT c.id AS id"
CASE_WITH_RENDERINGS = "UNWIND $ids AS cid MATCH (c:`Case` {id: cid}) RETURN c.record AS record, c.renderings AS renderings ORDER BY c.id"
GET_FINGERPRINT = f"MATCH (m:{META} {{id: 'schema'}}) RETURN m.fingerprint AS fingerprint"
SET_FINGERPRINT = f"MERGE (m:{META} {{id: 'schema'}}) SET m.fingerprint = $fingerprint"
GET_META = f"MATCH (m:{META} {{id: $id}}) RETURN m.fingerprint AS value"
SET_META = f"MERGE (m:{META} {{id: $id}}) SET m.fingerprint = $value"


# -- reads ---------------------------------------------------------------------------------------

COUNTS = "MATCH (n:{label}) RETURN count(n) AS n"
GET_NODE = "MATCH (n:{label} {{id: $id}}) RETURN n"
GET_NODES = "UNWIND $ids AS i MATCH (n:{label} {{id: i}}) RETURN n"
DATES_OF = "UNWIND $ids AS i MATCH (n:{label} {{id: i}}) RETURN n.id AS id, n.date_recommended AS date"
LIST_NODES = "MATCH (n:{label}) RETURN n ORDER BY n.id SKIP $skip LIMIT $limit"
CASE_RECORDS = "MATCH (c:`Case`) RETURN c.record AS record, c.renderings AS renderings ORDER BY c.id SKIP $skip LIMIT $limit"
CASE_RECORD = "MATCH (c:`Case` {id: $id}) RETURN c.record AS record"
CASES_OF_FORCE = "MATCH (f:Force {id: $id})<-[:CONCERNS]-(c:`Case`) RETURN c.id AS id ORDER BY id"
CASES_OF_SOURCE = "MATCH (s:Source {id: $id})<-[:DERIVED_FROM]-(c:`Case`) RETURN c.id AS id ORDER BY id"
CASES_OF_PROGRAMME = "MATCH (r:Recommendation) WHERE $id IN r.programmes RETURN DISTINCT r.case_id AS id ORDER BY id"
REC_CASE = "MATCH (c:`Case`)-[:HAS_RECOMMENDATION]->(r:Recommendation {id: $id}) RETURN c.record AS record"

# A force's recommendations counted per year and status in the store, from the copies on them (`force`
# is its cases' CONCERNS edge; an index seek on Neo4j), with the cases they belong to and those overdue
# on $today (as OVERDUE). A row per recommendation and the walk from the force took 25 ms on Neo4j for
# a force's 650 at 10k; OVERDUE filtered by force, 19 ms more (the planner seeks `awaiting`, not `force`).
FORCE_STATUS = """
MATCH (r:Recommendation) WHERE r.force = $id
RETURN r.year AS year, r.status AS status, count(*) AS n, collect(DISTINCT r.case_id) AS cases,
       collect(CASE WHEN r.awaiting = true AND r.response_due < $today THEN r.id ELSE NULL END) AS overdue"""
FORCE_BODIES = """
MATCH (f:Force {id: $id})<-[:CONCERNS]-(:`Case`)-[:HAS_RECOMMENDATION]->(r:Recommendation)-[:ADDRESSED_TO|LINKED_BODY]->(b:Body)
RETURN b.id AS id, b.name AS name, count(DISTINCT r.id) AS recommendations"""

# The recommendations that reach a programme or theme (in their text, or in their response), grouped
# by force and status in the store: a few dozen rows where one per recommendation were thousands.
# Two plans, the same answer (the contract suite checks both stores against the oracle); each store
# takes the faster (Dialect.walks_reach). From the copies, scanning every recommendation: LadybugDB
# reads a column of 30k lists in ~25 ms. Walked from the programme's edges (MENTIONS / ABOUT from a
# recommendation or its response, what the copies hold): Neo4j, where the scan reads 30k nodes
# (theme at 10k: 54 -> 25 ms in the server); LadybugDB took 4x longer that way.
_REACH_RETURN = """RETURN r.force AS force_id, r.status AS status, count(*) AS n, min(r.year) AS first_year,
       max(r.year) AS last_year, collect(r.id) AS ids"""
REACH_RECS = {
    (kind, False): f"MATCH (r:Recommendation) WHERE $id IN r.{kind}s\n" + _REACH_RETURN
    for kind in ("programme", "theme")
} | {
    (kind, True): f"""
MATCH (p:{label} {{id: $id}})
OPTIONAL MATCH (p)<-[:{rel}]-(r1:Recommendation)
WITH p, collect(r1) AS text
OPTIONAL MATCH (p)<-[:{rel}]-(:Response)-[:RESPONDS_TO]->(r2:Recommendation)
WITH text, collect(r2) AS response
UNWIND text + response AS r
WITH DISTINCT r
""" + _REACH_RETURN
    for kind, label, rel in (("programme", "Programme", "MENTIONS"), ("theme", "Theme", "ABOUT"))
}
PROGRAMME_BODIES = """
MATCH (p:Programme {id: $id})<-[:MENTIONS]-(r:Recommendation)-[:ADDRESSED_TO|LINKED_BODY]->(b:Body)
RETURN r.id AS rec_id, b.id AS id, b.name AS name
UNION
MATCH (p:Programme {id: $id})<-[:MENTIONS]-(:Response)-[:RESPONDS_TO]->(r:Recommendation)-[:ADDRESSED_TO|LINKED_BODY]->(b:Body)
RETURN r.id AS rec_id, b.id AS id, b.name AS name"""
THEME_BODIES = PROGRAMME_BODIES.replace("Programme", "Theme").replace("MENTIONS", "ABOUT")
PROGRAMME_USERS = "MATCH (f:Force)-[:USES]->(p:Programme {id: $id}) RETURN f.id AS id, f.name AS name"

BODY_RECS = """
MATCH (b:Body {id: $id})<-[:ADDRESSED_TO]-(r:Recommendation)<-[:HAS_RECOMMENDATION]-(c:`Case`)
OPTIONAL MATCH (c)-[:CONCERNS]->(f:Force)
RETURN r.id AS rec_id, 'addressed_to' AS role, r.year AS year, r.status AS status, f.id AS force_id, f.name AS force_name
UNION ALL
MATCH (b:Body {id: $id})<-[:LINKED_BODY]-(r:Recommendation)<-[:HAS_RECOMMENDATION]-(c:`Case`)
OPTIONAL MATCH (c)-[:CONCERNS]->(f:Force)
RETURN r.id AS rec_id, 'linked_body' AS role, r.year AS year, r.status AS status, f.id AS force_id, f.name AS force_name"""
BODY_MEMBERS = "MATCH (f:Force)-[:MEMBER_OF]->(b:Body {id: $id}) RETURN f.id AS id, f.name AS name"

# Whole-graph questions read the copies on Recommendation nodes (see Recommendation.yaml).
FORCE_NAMES = "MATCH (f:Force) RETURN f.id AS id, f.name AS name"
# Recomputes the copies on Force nodes (ontology/schema/Force.yaml) for the forces a write touched, in the write's
# transaction. Every force named gets a row (OPTIONAL MATCH); each id is counted once per
# recommendation, and its count collected beside it, so the `_n` list is parallel to the ids (both
# collects skip the same NULL rows). For programmes and themes '' stands in for "nothing", so that a
# force left with no recommendations gets empty lists (an untyped empty list or NULL would not bind in
# LadybugDB). On Neo4j `r.force = fid` is an index seek.
_REACHED_FORCES = "MATCH (f:Force) WHERE f.id IN $ids OR f.reach_stale = true WITH f, f.id AS fid"
_REACHED_COPY = _REACHED_FORCES + """
OPTIONAL MATCH (r:Recommendation) WHERE r.force = fid
UNWIND CASE WHEN r IS NULL THEN [''] ELSE r.{kind}s + [''] END AS x
WITH f, x, count(*) AS n
WITH f, collect(CASE WHEN x = '' THEN NULL ELSE x END) AS xs, collect(CASE WHEN x = '' THEN NULL ELSE n END) AS ns
SET f.{kind}s_reached = xs, f.{kind}s_reached_n = ns"""
_REACHED_BODIES = _REACHED_FORCES + """
OPTIONAL MATCH (r:Recommendation)-[:{type}]->(b:Body) WHERE r.force = fid
WITH f, b.id AS x, count(DISTINCT r.id) AS n
WITH f, collect(x) AS xs, collect(CASE WHEN x IS NULL THEN NULL ELSE n END) AS ns
SET f.{prop} = xs, f.{prop}_n = ns"""
FORCE_REACHED = [
    _REACHED_COPY.format(kind="programme"),
    _REACHED_COPY.format(kind="theme"),
    _REACHED_BODIES.format(type="ADDRESSED_TO", prop="bodies_addressed"),
    _REACHED_BODIES.format(type="LINKED_BODY", prop="bodies_linked"),
    _REACHED_FORCES + """
OPTIONAL MATCH (r:Recommendation) WHERE r.force = fid
WITH f, count(r) AS n SET f.recommendation_count = n, f.reach_stale = false""",
]
# Second in a write's transaction, before its deletes: the forces of the written cases' recommendations
# as the transaction sees them are recomputed too. The writer chose the forces from records it read
# before the transaction; another process may have moved a case since (Neo4j, several servers).
MARK_REACH_STALE = """MATCH (r:Recommendation) WHERE r.case_id IN $cases AND r.force IS NOT NULL
WITH DISTINCT r.force AS fid MATCH (f:Force {id: fid}) SET f.reach_stale = true"""
# Properties kept for the store's own use (the case record, the copies above), never shown as a node's.
STORE_ONLY = model.internal_properties
# First in a write's transaction: a write lock on the forces whose copies it will recompute, so that two
# writers of the same force (Neo4j) take turns, and the second reads what the first committed.
LOCK_FORCES = "UNWIND $ids AS fid MATCH (f:Force {id: fid}) SET f.programmes_reached = f.programmes_reached"
FORCES_OF_CASES = "MATCH (r:Recommendation) WHERE r.case_id IN $ids AND r.force IS NOT NULL RETURN DISTINCT r.force AS id"
ALL_FORCES = "MATCH (f:Force) RETURN f.id AS id"
# Pairs counted, filtered and cut to the top `$limit` in the store (a row per pair was 1,100 rows at 10k).
_TOP_PAIRS = "WITH a, b, count(*) AS n WHERE n >= $min RETURN a, b, n ORDER BY n DESC, a, b LIMIT $limit"
COOCCURRENCE = {
    "programme-programme": """
MATCH (r:Recommendation) WHERE size(r.programmes) > 1
UNWIND r.programmes AS a UNWIND r.programmes AS b
WITH a, b WHERE a < b
""" + _TOP_PAIRS,
    "programme-theme": """
MATCH (r:Recommendation) WHERE size(r.programmes) > 0 AND size(r.themes) > 0
UNWIND r.programmes AS a UNWIND r.themes AS b
""" + _TOP_PAIRS,
}

# History: observations made since a time (new recommendations and each change), with the state before.
CHANGES = """
MATCH (o:Observation) WHERE o.first_seen >= $since
MATCH (o)-[:OBSERVATION_OF]->(r:Recommendation)
OPTIONAL MATCH (o)-[:REVISION_OF]->(p:Observation)
RETURN o.recommendation AS rec_id, r.case_id AS case_id, r.reference AS reference, r.force AS force_id,
       o.first_seen AS seen, o.change AS change, o.status AS status, o.response AS response, r.date_recommended AS date_recommended,
       p.status AS previous_status, p.response AS previous_response, o.archive AS archive
ORDER BY seen, rec_id"""
# Reads of whole case records or of unbounded text, streamed row by row on Neo4j (never collected
# into one value: see Neo4jStore._read).
STREAMED = frozenset({CASE_RECORDS, CASE_RECORDS_BY_ID, CASE_WITH_RENDERINGS, CASE_RECORD, REC_CASE, CASE_STATE, CHANGES})
HISTORY = """
MATCH (o:Observation)-[:OBSERVATION_OF]->(r:Recommendation {id: $id})
OPTIONAL MATCH (o)-[:OBSERVED_IN]->(s:Source)
RETURN o.id AS id, o.first_seen AS first_seen, o.last_seen AS last_seen, o.status AS status, o.response AS response,
       o.change AS change, o.archive AS archive, s.id AS source_id, s.url AS source_url
ORDER BY first_seen, id"""

# Overdue on $today: still awaited (no response, or one that says it is awaited), due date passed. The
# whole list, or (the API's default of 100) the counts per force and the longest overdue first, limited
# in the store. On Neo4j the index on (awaiting, response_due) finds exactly those: 69 -> 9 ms in the
# server for the counts per force at 10k, where filtering 30k recommendations by three properties cost
# most of it.
_OVERDUE = """
MATCH (r:Recommendation)
WHERE r.awaiting = true AND r.response_due < $today{force}
"""
_OVERDUE_ROW = ("RETURN r.id AS rec_id, r.case_id AS case_id, r.reference AS reference, r.force AS force_id, "
                "r.status AS status, r.response_due AS due")
_OVERDUE_MATCH = {force: _OVERDUE.format(force=" AND r.force = $force" if force else "") for force in (False, True)}
OVERDUE = {force: match + _OVERDUE_ROW for force, match in _OVERDUE_MATCH.items()}
OVERDUE_FIRST = {force: query + " ORDER BY due, rec_id LIMIT $limit" for force, query in OVERDUE.items()}
OVERDUE_PER_FORCE = {force: match + "RETURN r.force AS force_id, count(*) AS n" for force, match in _OVERDUE_MATCH.items()}
# Status counts per force or per year, grouped by the one key asked for (a row per force, year and
# status was 2,500 rows at 10k).
# Recommendations without a force or a year are what the totals per status leave over. On Neo4j both
# are read from indexes (force, status), (year, status) and (status) without touching a node: 31 -> 15 ms
# in the server at 10k, where reading two properties of 30k nodes cost most of it.
ACCEPTANCE = {by: f"MATCH (r:Recommendation) WHERE r.{by} IS NOT NULL AND r.status IS NOT NULL "
                  f"RETURN r.{by} AS key, r.status AS status, count(*) AS n" for by in ("force", "year")}
STATUS_TOTALS = "MATCH (r:Recommendation) WHERE r.status IS NOT NULL RETURN r.status AS status, count(*) AS n"
# Each deferral with its recommendation's copies (force, status): walking on to the case and its
# force, and returning the target as a whole node, took LadybugDB 120 ms at 10k; this, 17.
DEFERRALS = """
MATCH (s:Response)-[d:DEFERS_TO]->(m)
MATCH (s)-[:RESPONDS_TO]->(r:Recommendation)
RETURN m.id AS target_id, {node_label} AS target_label, m.name AS target_name, d.phrase AS phrase,
       r.id AS rec_id, r.status AS status, r.force AS force_id"""
DEPENDENCY_SPAN = {
    "Body": "MATCH (f:Force)-[:MEMBER_OF]->(:Body {id: $id}) RETURN f.id AS id",
    "Programme": """
MATCH (f:Force)-[:USES]->(:Programme {id: $id}) RETURN f.id AS id
UNION
MATCH (f:Force) WHERE $id IN f.programmes_reached RETURN f.id AS id""",
}


# The overview: forces linked to what their recommendations reach, one edge per (force, target) with
# the number of recommendations as the weight, read from the copies on Force nodes (FORCE_REACHED): 46
# rows where three scans of 30k recommendations took 350 ms on Neo4j at 10k. The gazetteer's USES and
# MEMBER_OF edges weigh 1.
FORCE_COPIES = """
MATCH (f:Force){where}
RETURN f.id AS id, f.name AS name, f.recommendation_count AS recommendations,
       f.programmes_reached AS programme, f.programmes_reached_n AS programme_n,
       f.themes_reached AS theme, f.themes_reached_n AS theme_n,
       f.bodies_addressed AS addressed_to, f.bodies_addressed_n AS addressed_to_n,
       f.bodies_linked AS linked_body, f.bodies_linked_n AS linked_body_n"""
_OVERVIEW_GAZETTEER = """
MATCH (f:Force)-[:{type}]->(n:{label})
RETURN f.id AS force_id, n.id AS id, 1 AS weight"""
# relation kind -> (target kind, the relation's name on an edge, query for gazetteer kinds: None for
# the kinds read from the copies, under the kind's name in OVERVIEW_FORCES)
OVERVIEW = {
    "programme": ("Programme", "mentions", None),
    "theme": ("Theme", "about", None),
    "addressed_to": ("Body", "addressed to", None),
    "linked_body": ("Body", "linked body", None),
    "uses": ("Programme", "uses", _OVERVIEW_GAZETTEER.format(type="USES", label="Programme")),
    "member_of": ("Body", "member of", _OVERVIEW_GAZETTEER.format(type="MEMBER_OF", label="Body")),
}
# The names of nodes of one or more kinds, in one round trip: `names_of(["Programme", "Theme"])` takes
# the ids of each kind in $ids0, $ids1 ...
def names_of(labels: list[str]) -> str:
    return "\nUNION ALL\n".join(f"MATCH (n:{label(k)}) WHERE n.id IN $ids{i} RETURN '{k}' AS kind, n.id AS id, n.name AS name"
                                 for i, k in enumerate(labels))

@dataclass(frozen=True)
class Dialect:
    """The statements that differ between LadybugDB and Neo4j."""

    name: str
    edge_type: str  # expression for a relationship's type given variable e
    node_label: str  # expression for a node's label given variable m
    shortest: str  # all shortest paths between a and b
    # LadybugDB types a relationship property from the parameter rows; a batch where every row holds
    # null for an INT64 property (a JSON record's mention without a character span) is typed STRING
    # and refused ("Binder exception ... char_start"): such values are cast to their column's type.
    casts: bool = False
    walks_reach: bool = False  # a programme's reach from its edges, not by scanning the copies (REACH_RECS)

    def typed(self, expr: str, type_name: str) -> str:
        column = LADYBUG_TYPES.get(type_name, "STRING")
        return f"CAST({expr} AS {column})" if self.casts and column != "STRING" else expr

    def neighbours(self, kind: str, direction: str) -> str:
        arrow = f"-[e:{EDGE_TYPES}]->(m)" if direction == "out" else f"<-[e:{EDGE_TYPES}]-(m)"
        return (f"UNWIND $ids AS i MATCH (n:{label(kind)} {{id: i}}) MATCH (n){arrow} "
                f"RETURN n.id AS from_id, m.id AS id, {self.node_label} AS label, {self.edge_type} AS type LIMIT $limit")

    def path(self, a_kind: str, b_kind: str, max_len: int) -> str:
        return self.shortest.format(a=label(a_kind), b=label(b_kind), max=int(max_len), types=EDGE_TYPES)


# The ontology's relationships: what neighbourhoods and paths walk (never the store's own key table).
EDGE_TYPES = "|".join(e.type for e in model.edges.values())

LADYBUG = Dialect(
    name="ladybug",
    edge_type="label(e)",
    node_label="label(m)",
    shortest="MATCH p = (a:{a} {{id: $a}})-[:{types}* ALL SHORTEST 1..{max}]-(b:{b} {{id: $b}}) RETURN nodes(p) AS nodes, rels(p) AS rels LIMIT $limit",
    casts=True,
)
NEO4J = Dialect(
    name="neo4j",
    edge_type="type(e)",
    node_label="labels(m)[0]",
    shortest="MATCH (a:{a} {{id: $a}}), (b:{b} {{id: $b}}) MATCH p = allShortestPaths((a)-[:{types}*..{max}]-(b)) RETURN nodes(p) AS nodes, relationships(p) AS rels LIMIT $limit",
    walks_reach=True,
)

LADYBUG_TYPES = {"string": "STRING", "text": "STRING", "integer": "INT64", "boolean": "BOOLEAN", "date": "STRING", "datetime": "STRING",
                 "reference": "STRING", "url": "STRING", "case_id": "STRING", "status": "STRING", "json": "STRING", "layout": "STRING",
                 "programme_kind": "STRING", "datetime": "STRING"}


def ladybug_schema() -> list[str]:
    """DDL for LadybugDB: a node table per kind, a relationship table per edge type."""
    out = []
    for schema in model.schemas.values():
        cols = ["id STRING PRIMARY KEY"]
        for name, prop in schema.properties.items():
            base = LADYBUG_TYPES[prop.type.name]
            cols.append(f"{name} {base}[]" if prop.many else f"{name} {base}")
        out.append(f"CREATE NODE TABLE IF NOT EXISTS {label(schema.name)}({', '.join(cols)})")
    for edge in model.edges.values():
        pairs = [f"FROM {label(s)} TO {label(t)}" for s, t in edge.pairs()]
        props = [f"{p} {LADYBUG_TYPES[prop.type.name]}" for p, prop in edge.properties.items()]
        out.append(f"CREATE REL TABLE IF NOT EXISTS {edge.type}({', '.join(pairs + props)})")
    out.append(f"CREATE NODE TABLE IF NOT EXISTS {META}(id STRING PRIMARY KEY, fingerprint STRING)")
    return out


def ladybug_drop() -> list[str]:
    """Drop every table (relationship tables first): the graph is rebuilt from its stored records."""
    return ([f"DROP TABLE IF EXISTS {e.type}" for e in model.edges.values()]
            + [f"DROP TABLE IF EXISTS {HAS_KEY}", f"DROP TABLE IF EXISTS {KEY}"]
            + [f"DROP TABLE IF EXISTS {label(s)}" for s in model.schemas])


def neo4j_schema() -> list[str]:
    """Constraints and indexes for Neo4j 5, created idempotently."""
    out = [
        f"CREATE CONSTRAINT {s.key}_id IF NOT EXISTS FOR (n:{label(s.name)}) REQUIRE n.id IS UNIQUE"
        for s in model.schemas.values()
    ]
    out.append(f"CREATE CONSTRAINT meta_id IF NOT EXISTS FOR (n:{META}) REQUIRE n.id IS UNIQUE")
    out.append(f"CREATE CONSTRAINT key_id IF NOT EXISTS FOR (n:{KEY}) REQUIRE n.id IS UNIQUE")
    out += [
        "CREATE INDEX recommendation_force IF NOT EXISTS FOR (n:Recommendation) ON (n.force)",
        "CREATE INDEX recommendation_status IF NOT EXISTS FOR (n:Recommendation) ON (n.status)",
        "CREATE INDEX recommendation_year IF NOT EXISTS FOR (n:Recommendation) ON (n.year)",
        "CREATE INDEX recommendation_due IF NOT EXISTS FOR (n:Recommendation) ON (n.response_due)",
        "CREATE INDEX recommendation_awaiting_due IF NOT EXISTS FOR (n:Recommendation) ON (n.awaiting, n.response_due)",
        "CREATE INDEX recommendation_force_status IF NOT EXISTS FOR (n:Recommendation) ON (n.force, n.status)",
        "CREATE INDEX recommendation_year_status IF NOT EXISTS FOR (n:Recommendation) ON (n.year, n.status)",
        "CREATE INDEX case_reference IF NOT EXISTS FOR (n:`Case`) ON (n.reference)",
        "CREATE INDEX observation_first_seen IF NOT EXISTS FOR (n:Observation) ON (n.first_seen)",
        "CREATE FULLTEXT INDEX recommendation_text IF NOT EXISTS FOR (n:Recommendation|Response) ON EACH [n.text]",
    ]
    return out

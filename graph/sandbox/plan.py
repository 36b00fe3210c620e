"""The engine decides what a query is, in the worker, before anything runs: Cypher is planned without
running (`EXPLAIN`) and its operators and table functions checked against allow-lists; SPARQL is
parsed to algebra (Update does not parse as a query) and SERVICE, outside graphs and regular
expressions the linear-time engine cannot run are refused there.
"""

from __future__ import annotations

import re
import warnings

from graph.sandbox.text import SPARQL, SPARQL_REFUSED, first_word, refuse, tokens

# The operators LadybugDB plans read-only queries to; anything else (INSERT, SET_PROPERTY, DELETE,
# MERGE, COPY_*, CREATE_*, DROP, ALTER, TRANSACTION, INSTALL_EXTENSION, ATTACH_DATABASE …) is refused.
LADYBUG_READ = frozenset("""
AGGREGATE AGGREGATE_FINALIZE AGGREGATE_SCAN CROSS_PRODUCT DUMMY_SINK EMPTY_RESULT FILTER FLATTEN HASH_JOIN_BUILD
HASH_JOIN_PROBE INTERSECT INTERSECT_BUILD LIMIT MULTIPLICITY_REDUCER ORDER_BY ORDER_BY_MERGE ORDER_BY_SCAN
PATH_PROPERTY_PROBE PRIMARY_KEY_SCAN_NODE_TABLE PROJECTION QUERY_PRIMARY_KEY_LOOKUP RECURSIVE_EXTEND RESULT_COLLECTOR
SCAN_NODE_TABLE SCAN_REL_TABLE SEMI_MASKER SKIP TABLE_FUNCTION_CALL TOP_K TOP_K_SCAN UNION_ALL_SCAN UNWIND
""".split())
TABLE_FUNCTIONS = frozenset({"READ_FTABLE"})  # the allow-list: LadybugDB plans `RETURN 1` to it; no user calls it
# Neo4j: the query type must be read ("r"), and no operator may reach outside the graph.
NEO4J_REFUSED = {"ProcedureCall": "procedures (CALL)", "LoadCSV": "LOAD CSV", "TransactionForeach": "CALL IN TRANSACTIONS",
                 "TransactionApply": "CALL IN TRANSACTIONS"}
_OPERATOR = re.compile(r"([A-Z][A-Z_]*)\[\d+\]")  # over the engine's plan, not user text
_FUNCTION = re.compile(r"Function: (\S+)")
_FETCHABLE = re.compile(r"(?i)^(https?|file|ftp)://")
# What XPath regular expressions allow and a linear-time engine cannot do: backreferences and lookaround.
_NOT_LINEAR = re.compile(r"\\[1-9]|\(\?<?[=!]")


def classify_cypher(store, query: str, params: dict) -> None:
    """Refuse a query the engine plans to anything but a read of the graph (QueryRefused names it)."""
    if store.name == "neo4j":
        return _classify_neo4j(store, query, params)
    conn = store._connect()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            prepared = conn.prepare(query)
        if not prepared.is_success():
            raise refuse(prepared.get_error_message(), None)
        try:
            result = conn.execute("EXPLAIN " + query, params)
        except RuntimeError as e:
            raise refuse(str(e), None) from None
        if isinstance(result, list):  # more than one statement (prepare refuses that first)
            raise refuse("one statement at a time", ";")
        plan = result.get_next()[0]
    finally:
        conn.close()
    # The plan holds the query's own names too (aliases): one that looks like an operator can only
    # add to what is refused, never hide an operator of the engine's.
    what = sorted(set(_OPERATOR.findall(plan)) - LADYBUG_READ)
    what += [f"table function {f}" for f in sorted(set(_FUNCTION.findall(plan)) - TABLE_FUNCTIONS)]
    if what:
        raise refuse(f"the query plans to {', '.join(what)}, which a read-only query may not use (only MATCH, "
                     "OPTIONAL MATCH, WHERE, WITH, UNWIND, RETURN, ORDER BY, SKIP, LIMIT and UNION)", what[0])


def _classify_neo4j(store, query: str, params: dict) -> None:
    import neo4j
    from neo4j.exceptions import Neo4jError

    try:
        with store.driver.session(database=store.database, default_access_mode=neo4j.READ_ACCESS) as session:
            summary = session.run("EXPLAIN " + query, params).consume()
    except Neo4jError as e:
        raise refuse(e.message or str(e), None) from None
    if summary.query_type != "r":
        raise refuse(f"the engine reads this query as a write (query type {summary.query_type!r})", summary.query_type or "write")
    todo = [summary.plan or {}]
    while todo:
        op = todo.pop()
        name = str(op.get("operatorType", "")).split("@")[0]
        if name in NEO4J_REFUSED:
            raise refuse(f"{NEO4J_REFUSED[name]} is not allowed", name)
        todo += op.get("children") or []


def parse_sparql(text: str, endpoints: frozenset[str] = frozenset(), base: str | None = None, graphs: list[str] = ()):
    """The parsed query (rdflib), or QueryRefused naming what is wrong: Update, SERVICE, a graph elsewhere (FROM,
    FROM NAMED or the protocol's `graphs`: a web or file address outside `base`), a regex the engine cannot run."""
    import rdflib.plugins.sparql
    from rdflib import Literal
    from rdflib.plugins.sparql import prepareQuery
    from rdflib.plugins.sparql.parserutils import CompValue

    rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False  # FROM is looked up in the view, never fetched
    try:
        query = prepareQuery(text)
    except Exception as e:  # noqa: BLE001 - pyparsing and rdflib raise several kinds
        word = first_word(tokens(text, SPARQL))
        if word in SPARQL_REFUSED:
            raise refuse(f"{SPARQL_REFUSED[word]} is not allowed", word) from None
        raise refuse(f"the query is not SPARQL 1.1: {e}", str(e)[:300]) from None
    for iri in [*graphs, *(str(d["default"] if "default" in d else d["named"]) for d in query.algebra.get("datasetClause") or [])]:
        if _FETCHABLE.match(iri) and not (base and iri.startswith(base)):
            raise refuse(f"FROM / FROM NAMED <{iri}> is not a graph of this dataset; the endpoint never loads "
                         "graphs from the web or from files", "FROM")
    todo = [query.algebra]
    while todo:  # every node of the algebra
        node = todo.pop()
        if isinstance(node, (list, tuple)):
            todo += node
        elif isinstance(node, CompValue):
            todo += node.values()
            if node.name == "ServiceGraphPattern" and str(node.get("term")) not in endpoints:
                raise refuse(f"SERVICE <{node.get('term')}> is not allowed (federated queries are off; "
                             "IOPC_KG_SPARQL_ENDPOINTS lists the endpoints that are)", "SERVICE")
            pattern = node.get("pattern") if node.name in ("Builtin_REGEX", "Builtin_REPLACE") else None
            if isinstance(pattern, Literal) and _NOT_LINEAR.search(str(pattern).replace("\\\\", "")):
                raise refuse(f"the regular expression {str(pattern)[:100]!r} uses a backreference or lookaround, "
                             "which the linear-time engine does not support", "regex")
    return query

"""Heavy but legitimate queries against a live server under its query limits: does each still answer?

Usage: python -m bench.heavy_queries --data DIR [--port 8793]

DIR is a data directory built earlier (`bench.api_bench`, `bench.abuse`). Starts `iopc-kg serve` on it
with the limits of the environment (IOPC_KG_QUERY_MEMORY_MB, IOPC_KG_QUERY_BUFFER_MB, …: the defaults
unless set), waits for the SPARQL view, then sends each query once and prints its status, time and
size, and the memory at rest by process. What the limits cost: a query refused here (400) is one
a researcher could not run without raising them.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import httpx

from bench.abuse import tree_pss
from bench.api_bench import serve
from bench.graph_bench import machine

SPARQL = [
    "SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?s ORDER BY DESC(?n) LIMIT 10",
    "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }",
    "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p",
    "SELECT ?s ?o WHERE { ?s ?p ?o FILTER(CONTAINS(LCASE(STR(?o)), 'custody')) } LIMIT 1000",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 20000",
    "SELECT ?o WHERE { ?s ?p ?o } ORDER BY ?o LIMIT 10",
]
CYPHER = [
    "MATCH (n) RETURN labels(n)[0] AS l, count(*) AS c ORDER BY c DESC",
    "MATCH (a)-[r]->(b) RETURN count(*) AS n",
    "MATCH (r:Recommendation) RETURN r.id AS id, r.text AS t ORDER BY t LIMIT 1000",
    "MATCH (f:Force)<-[*1..2]-(x) RETURN f.id AS f, count(x) AS n ORDER BY n DESC LIMIT 20",
    "MATCH (r:Recommendation) WITH r.force AS f, collect(r.text) AS ts RETURN f, size(ts) AS n ORDER BY n DESC LIMIT 5",
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--port", type=int, default=8793)
    args = ap.parse_args()
    proc = serve(args.data, args.port, 1)
    base = f"http://127.0.0.1:{args.port}"
    try:
        while httpx.post(f"{base}/sparql", content="ASK { ?s ?p ?o }", headers={"content-type": "application/sparql-query"},
                         timeout=900).status_code != 200:
            time.sleep(1)
        time.sleep(3)
        rest = tree_pss(proc.pid)
        print(f"{machine()}; data from {args.data}; memory at rest (PSS, MiB): "
              + ", ".join(f"{k} {v:.0f}" for k, v in rest.items()) + "\n")
        print("| language | query | status | ms | bytes |")
        print("|---|---|---|---|---|")
        for kind, queries in (("SPARQL", SPARQL), ("Cypher", CYPHER)):
            for q in queries:
                t = time.perf_counter()
                if kind == "SPARQL":
                    r = httpx.post(f"{base}/sparql", content=q, headers={"content-type": "application/sparql-query"}, timeout=60)
                else:
                    r = httpx.post(f"{base}/query/cypher", json={"query": q}, timeout=60)
                why = "" if r.status_code == 200 else f" ({r.json().get('code')})"
                print(f"| {kind} | `{q}` | {r.status_code}{why} | {(time.perf_counter() - t) * 1000:.0f} | {len(r.content):,} |")
    finally:
        proc.terminate()
        proc.wait(30)


if __name__ == "__main__":
    main()

"""SPARQL engines side by side, on the same data in one run: the endpoint's view in Oxigraph on disk
(what the SPARQL worker reads: built by graph/view.py, opened read-only), in Oxigraph's in-memory
store (what it read before), and in rdflib's in-memory dataset (what it read before that).

Usage: python -m bench.sparql_bench --data DIR [--rounds 5]

DIR is a data directory built earlier (`bench.api_bench`, `bench.abuse`). Each engine runs in its own
process, one after the other: the view's build time and the resident memory of the process that
queries it (for the view on disk, a fresh process that opens it read-only, as the worker does),
then each query's median and slowest time over `--rounds` runs. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.graph_bench import machine

IOPC = "https://w3id.org/iopc-kg/ontology#"
QUERIES = {
    "count every triple": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "recommendations per force": f"PREFIX iopc: <{IOPC}> SELECT ?f (COUNT(?r) AS ?n) WHERE {{ ?c iopc:concerns ?f ; iopc:hasRecommendation ?r }} GROUP BY ?f ORDER BY DESC(?n)",
    "regex over labels (first 100)": "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> SELECT ?s ?l WHERE { ?s rdfs:label ?l FILTER regex(?l, \"custody\", \"i\") } LIMIT 100",
    "one case described": "DESCRIBE ?c WHERE { ?c a <" + IOPC + "Case> } LIMIT 1",
}


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child(engine: str, data: Path, rounds: int) -> dict:
    from ontology.settings import Settings
    from graph import results
    from graph.open import open_store
    from graph.rdf import Terms

    terms = Terms()
    if engine == "disk-read":  # a fresh process, as the SPARQL worker: the view read-only, no store
        import pyoxigraph as ox

        from graph.sparql import evaluate

        before = rss_mib()
        dataset = ox.Store.read_only(str(data))
        return _timed(engine, 0.0, before,
                      lambda q: evaluate(dataset, q, "json" if not q.startswith("DESCRIBE") else "ttl", 1000, base=terms.base), rounds)
    store = open_store(Settings(data_dir=data, _env_file=None), read_only=True)
    before = rss_mib()
    start = time.perf_counter()
    if engine == "oxigraph-disk":
        import tempfile

        from graph.view import build

        path = Path(tempfile.mkdtemp()) / "view"
        build(store, terms, path)
        built = time.perf_counter() - start
        done = subprocess.run([sys.executable, "-m", "bench.sparql_bench", "--data", str(path), "--rounds", str(rounds),
                               "--engine", "disk-read"], capture_output=True, text=True, check=True)
        import shutil

        shutil.rmtree(path.parent)
        return {**json.loads(done.stdout.strip().splitlines()[-1]), "engine": engine, "build_s": round(built, 1)}
    if engine == "oxigraph":
        from graph.sparql import evaluate, view

        dataset = view(store, terms)

        def run(q):
            return evaluate(dataset, q, "json" if not q.startswith("DESCRIBE") else "ttl", 1000, base=terms.base)
    else:
        from rdflib import Dataset
        from rdflib.plugins.sparql import prepareQuery

        from graph.export import whole_graph

        dataset = Dataset(default_union=True)
        dataset.graph(terms.dataset).__iadd__(whole_graph(store, terms))

        def run(q):
            return results.serialise(dataset.query(prepareQuery(q)), "json" if not q.startswith("DESCRIBE") else "ttl")
    return _timed(engine, time.perf_counter() - start, before, run, rounds)


def _timed(engine: str, build: float, before: float, run, rounds: int) -> dict:
    gc.collect()
    out = {"engine": engine, "build_s": round(build, 1), "rss_mib": round(rss_mib()), "store_mib": round(before), "queries": {}}
    for name, q in QUERIES.items():
        times = []
        for _ in range(rounds):
            t = time.perf_counter()
            run(q)
            times.append((time.perf_counter() - t) * 1000)
        out["queries"][name] = (round(statistics.median(times), 1), round(max(times), 1))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--engine", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.engine:
        print(json.dumps(child(args.engine, args.data, args.rounds)))
        return
    runs = []
    engines = ("oxigraph-disk", "oxigraph", "rdflib")
    for engine in engines:
        done = subprocess.run([sys.executable, "-m", "bench.sparql_bench", "--data", str(args.data), "--rounds", str(args.rounds),
                               "--engine", engine], capture_output=True, text=True, check=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    disk, ox, rd = runs
    print(f"{machine()}\n")
    print("| measure | Oxigraph on disk (now) | Oxigraph in memory | rdflib in memory | in memory / on disk |")
    print("|---|---|---|---|---|")
    print(f"| view built, s | {disk['build_s']} (in a process of its own) | {ox['build_s']} | {rd['build_s']} | "
          f"{ox['build_s'] / disk['build_s']:.1f}× |")
    print(f"| resident memory of the process querying the view, MiB | {disk['rss_mib']} (its modules alone: {disk['store_mib']}) | "
          f"{ox['rss_mib']} (store open alone: {ox['store_mib']}) | {rd['rss_mib']} | {ox['rss_mib'] / disk['rss_mib']:.1f}× |")
    for name in QUERIES:
        (dm, d_max), (om, ox_max), (rm, rd_max) = disk["queries"][name], ox["queries"][name], rd["queries"][name]
        print(f"| {name}, ms median (max) | {dm} ({d_max}) | {om} ({ox_max}) | {rm} ({rd_max}) | {om / max(dm, 0.1):.2f}× |")


if __name__ == "__main__":
    main()

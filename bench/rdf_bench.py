"""RDF benchmark: export time and size per format, parse-back time, SHACL validation time.

Usage: python -m bench.rdf_bench [--sizes 1000 10000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from pyshacl import validate
from rdflib import Graph

from ontology.settings import Settings
from bench.graph_bench import machine
from graph.export import export
from graph.open import open_store
from graph.rdf import FORMATS
from ingest.generator import generate
from ontology.publish import HERE


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    args = ap.parse_args()
    print(machine())
    print("| corpus | format | export s | size MiB | triples | parse back s |\n|---|---|---|---|---|---|")
    shapes = Graph().parse(HERE / "shapes.ttl")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            store = open_store(Settings(data_dir=Path(tmp), _env_file=None))
            store.ensure_schema()
            store.write_cases(generate(size, seed=7))
            for fmt, (rdflib_fmt, _, _) in FORMATS.items():
                t = time.perf_counter()
                path = Path(tmp) / f"export.{fmt}"
                with path.open("w") as f:
                    for piece in export(store, fmt):
                        f.write(piece)
                t_export = time.perf_counter() - t
                t = time.perf_counter()
                g = Graph().parse(path, format=rdflib_fmt)
                t_parse = time.perf_counter() - t
                print(f"| {size:,} cases | {fmt} | {t_export:.1f} | {path.stat().st_size / 2**20:.1f} | {len(g):,} | {t_parse:.1f} |", flush=True)
            t = time.perf_counter()
            conforms, _, _ = validate(g, shacl_graph=shapes, inference="none")
            print(f"| {size:,} cases | SHACL validation (pyshacl) | {time.perf_counter() - t:.1f} s | | conforms: {conforms} | |", flush=True)
            store.close()


if __name__ == "__main__":
    main()

"""Any batch, any order, the same graph (issue 28): a corpus of renderings (every sample page and
record, generated cases, and generated re-renderings of them: the same case without its reference,
with a later status, with a response added, each another page) split into batches in any way and
ingested batch after batch in any order, through the library entry point (`write_cases`, what every
ingest reaches), on both stores, gives the graph one batch gives (its canonical, sorted N-Triples
export, byte for byte) and the same index (ids and stored fields), and every search answers.

Seeded and derandomised, with few examples, in the fast tier; a wider run in the slow tier (and CI).
The corpus holds renderings that share all but their place: a page copied under another name, and a
records file whose record cites a page's URL, next to another record.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.export import export
from ingest.generator import generate
from ingest.load import write_cases
from ingest.pipeline import ParseResult, parse_each
from ontology.records import CaseRecord, SourceRecord
from search.index import SearchIndex
from search.query import Engine, Search
from tests.conftest import SAMPLES, fresh_store, store_settings

PAGES = Path(__file__).resolve().parent / "pages"
EXAMPLES = int(os.environ.get("IOPC_KG_BATCH_EXAMPLES", "4"))


def _again(case: CaseRecord, name: str, **change) -> CaseRecord:
    """Another page of the case (its own source), with `change` applied to its record."""
    d = copy.deepcopy(case.to_dict())
    d.pop("id")
    for rec in d["recommendations"]:
        rec.pop("id", None)
    if change.pop("no_reference", False):
        d["reference"] = None
    for key, value in change.items():
        for rec in d["recommendations"]:
            rec[key] = value
    d["sources"] = [SourceRecord.make(None, f"{name}.txt", "JSON").as_dict()]
    return CaseRecord.from_dict(d, name)


def _places(directory: Path) -> Path:
    """Renderings that share what is not their place: a sample page copied under another name (the
    same text at a second place), and a records file whose record cites a sample page's URL (our
    record of that page, a place of its own beside the page) next to a second record."""
    (directory / "kent-copy.txt").write_bytes((SAMPLES / "kent-police-2024-11.txt").read_bytes())
    cited = next(iter(parse_each([SAMPLES / "thames-valley-police-2024-04.txt"], ParseResult([], [], 0)))).to_dict()
    assert cited["source_url"]
    other = generate(1, seed=12)[0].to_dict()
    records = []
    for d in (cited, other):
        d = {k: v for k, v in d.items() if k not in ("id", "sources")}
        for rec in d["recommendations"]:
            rec.pop("id", None)
        records.append(json.dumps(d))
    (directory / "records.jsonl").write_text("\n".join(records) + "\n")
    return directory


def corpus() -> list[CaseRecord]:
    renderings = list(parse_each([SAMPLES, _places(Path(tempfile.mkdtemp(prefix="iopc-kg-places-")))],
                                 ParseResult([], [], 0)))
    made = generate(4, seed=11)
    for n, case in enumerate(made[:3]):
        renderings.append(_again(case, f"unreferenced-{n}", no_reference=True))
        renderings.append(_again(case, f"later-{n}", status="accepted", status_label="Accepted"))
        renderings.append(_again(case, f"answered-{n}", response="The force accepts this and has changed its training."))
    return renderings + made


CORPUS = corpus()


def state(kind: str, directory: Path, request, batches: list[list[CaseRecord]]) -> tuple[list[str], dict]:
    settings = store_settings(kind, directory, request)
    store = fresh_store(settings)
    index = SearchIndex(settings.index_dir)
    try:
        for batch in batches:
            write_cases(copy.deepcopy(batch), store, index, batch_size=3)
        triples = sorted(line for piece in export(store, "nt") for line in piece.splitlines()
                         if line.strip() and not line.startswith("<https://w3id.org/iopc-kg/dataset"))
        docs = {f["id"]: json.dumps(f, sort_keys=True, default=str) for f in index.searcher().all_stored_fields()}
        engine = Engine(index)
        for q in ("", "training", "athena OR custody", '"stop and search"', "force:kent"):
            engine.search(Search(q=q))
        return triples, docs
    finally:
        index.close()
        store.close()


@pytest.fixture(scope="module", params=["embedded", "neo4j"])
def reference(request, tmp_path_factory):
    return request.param, state(request.param, tmp_path_factory.mktemp("one-batch"), request, [CORPUS])


def splits(examples: int, derandomize: bool = True):
    order = st.permutations(range(len(CORPUS)))
    cuts = st.lists(st.integers(1, len(CORPUS) - 1), max_size=6, unique=True)
    return settings(max_examples=examples, deadline=None, derandomize=derandomize,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]), order, cuts


def _batches(order, cuts) -> list[list[CaseRecord]]:
    bounds = [0, *sorted(cuts), len(CORPUS)]
    return [[CORPUS[i] for i in order[a:b]] for a, b in zip(bounds, bounds[1:]) if b > a]


_settings, _order, _cuts = splits(EXAMPLES)


@_settings
@given(order=_order, cuts=_cuts)
def test_any_batches_in_any_order_give_the_graph_and_index_of_one_batch(reference, tmp_path_factory, request, order, cuts):
    kind, (triples, docs) = reference
    got_triples, got_docs = state(kind, tmp_path_factory.mktemp("batches"), request, _batches(order, cuts))
    assert got_triples == triples
    assert got_docs == docs


# The wider run, in the slow tier: 12 examples (seeded in CI), more with IOPC_KG_WIDE_EXAMPLES=N (random
# outside CI). Its first seeded run found an order that lost a case: two records of one records file
# were one place, so the second, read later, replaced the first (a place is now one record).
_wide, _worder, _wcuts = splits(int(os.environ.get("IOPC_KG_WIDE_EXAMPLES", "12")), derandomize=bool(os.environ.get("CI")))


@pytest.mark.slow
@_wide
@given(order=_worder, cuts=_wcuts)
def test_any_batches_wider_run(reference, tmp_path_factory, request, order, cuts):
    kind, (triples, docs) = reference
    got_triples, got_docs = state(kind, tmp_path_factory.mktemp("batches"), request, _batches(order, cuts))
    assert got_triples == triples and got_docs == docs

"""No cell of any tabular output runs as a spreadsheet formula (ontology/cells.py): the API's CSV
(lists, search, search exports), the command line's CSV, SPARQL results as CSV and as TSV, over
HTTP and written directly; with generated cells: every formula sign, its fullwidth and small forms,
after any run of spaces, no-break spaces and zero-width characters, or after a TAB or CR."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from rdflib import Literal, Variable
from rdflib.query import Result

from api.app import create_app
from api.commands.output import emit
from api.deps import Services
from api.formats import csv_text
from graph import results
from ontology.cells import FORMULA_SIGNS, INVISIBLE, is_formula, safe_cell
from tests.api.test_ingest_records import jsonl, record

KEY = "cells-test-key"
# Seeded in CI (CI=true): the same examples every run; bounded so the module stays quick.
quick = settings(max_examples=60, deadline=None, derandomize=os.environ.get("CI") == "true",
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
slow = settings(quick, max_examples=6)

LEAD = st.text(alphabet=" \u00a0\u2003\u3000\u202f" + INVISIBLE, max_size=3)
SIGN = st.sampled_from(sorted(FORMULA_SIGNS))
REST = st.text(max_size=20)
dangerous = (st.builds(lambda lead, sign, rest: lead + sign + rest, LEAD, SIGN, REST)
             | st.builds(lambda c, rest: c + rest, st.sampled_from(["\t", "\r", "\n"]), REST))
# For cells sent through HTTP queries: printable, no quotes or backslashes to escape.
PLAIN = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7e, blacklist_characters='"\\'), max_size=12)
dangerous_plain = st.builds(lambda lead, sign, rest: lead + sign + rest, st.text(alphabet=" \u00a0\u3000", max_size=2), SIGN, PLAIN)


NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")


def readable(cells) -> None:
    """No cell is a formula; a number written as a number (an integer column) is one, and harmless."""
    for cell in cells:
        assert NUMBER.fullmatch(cell) or not is_formula(cell), repr(cell)


@quick
@given(dangerous)
def test_a_cell_that_could_be_a_formula_is_shown_as_text(cell):
    assert is_formula(cell)
    assert safe_cell(cell) == "'" + cell and not is_formula(safe_cell(cell))


@quick
@given(st.text(max_size=30))
def test_any_other_cell_is_left_as_it_is(cell):
    out = safe_cell(cell)
    assert out == cell if not is_formula(cell) else out == "'" + cell
    assert safe_cell(safe_cell(cell)) == safe_cell(cell)  # once is enough: twice changes nothing


@pytest.mark.parametrize("raw", ["=1+1", " =1+1", "\u00a0=1+1", "\u3000+1", "\uff1dSUM(A1)", "\uff0b1", "\uff0d1",
                                 "\uff20x", "\u200b=1", " \u200b @x", "\t", "\r=1", "\u2212" "2+3"])
def test_the_named_forms(raw):
    assert safe_cell(raw) == "'" + raw


@pytest.mark.parametrize("raw", ["plain", "a=b", "'=1", "", " ", "x -1", -1, 2.5, None, 0])
def test_what_stays(raw):
    assert safe_cell(raw) == raw


@quick
@given(st.lists(st.dictionaries(st.one_of(dangerous, st.sampled_from(["a", "b"])), st.one_of(dangerous, REST, st.integers()),
                                max_size=4), max_size=4))
def test_the_api_csv_writer(rows):
    text = "".join(csv_text(rows))
    readable(cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row)


@quick
@given(rows=st.lists(st.dictionaries(st.sampled_from(["x", "y"]), st.one_of(dangerous, REST), min_size=1), min_size=1, max_size=3))
def test_the_command_line_csv(rows, capsys):
    capsys.readouterr()
    emit(rows, "csv")
    out = capsys.readouterr().out
    readable(cell for row in csv.reader(io.StringIO(out, newline="")) for cell in row)


def sparql_result(cells: list) -> Result:
    r = Result("SELECT")
    r.vars = [Variable("x")]
    r.bindings = [{Variable("x"): c if isinstance(c, Literal) else Literal(c)} for c in cells]
    return r


def tsv_cells(text: str):
    """What a spreadsheet shows of SPARQL TSV cells: a literal's text without its quotes."""
    for line in text.split("\n")[1:]:
        for cell in line.split("\t"):
            yield cell[1:cell.rindex('"')] if cell.startswith('"') else cell


@quick
@given(st.lists(st.one_of(dangerous, REST), min_size=1, max_size=4))
def test_sparql_results_as_csv_and_tsv(cells):
    _, body = results.serialise(sparql_result(cells), "csv")
    readable(c for row in csv.reader(io.StringIO(body.decode(), newline="")) for c in row)
    _, body = results.serialise(sparql_result(cells), "tsv")
    readable(tsv_cells(body.decode()))


def test_sparql_numbers_stay_numbers_and_bad_numbers_do_not():
    from rdflib.namespace import XSD as _XSD  # here: pytest's collection trips over a Namespace in the module

    cells = [Literal("-3", datatype=_XSD.integer), Literal("-2+3+cmd", datatype=_XSD.integer), Literal(-1.5)]
    _, body = results.serialise(sparql_result(cells), "tsv")
    assert body.decode().split("\n")[1:4] == [f'"-3"^^<{_XSD.integer}>', f'"\'-2+3+cmd"^^<{_XSD.integer}>', f'"-1.5"^^<{_XSD.double}>']
    _, body = results.serialise(sparql_result(cells), "csv")
    assert body.decode().split("\r\n")[1:4] == ["-3", "'-2+3+cmd", "-1.5"]


def sparql_string(cell: str) -> str:
    return '"' + cell + '"'


@slow
@given(cells=st.lists(dangerous_plain, min_size=1, max_size=3))
def test_sparql_over_http_as_csv_and_tsv(client, cells):
    query = f"SELECT ?x WHERE {{ VALUES ?x {{ {' '.join(map(sparql_string, cells))} }} }}"
    answer = client.get("/sparql", params={"query": query, "format": "csv"})
    assert answer.status_code == 200, answer.text
    readable(c for row in csv.reader(io.StringIO(answer.text, newline="")) for c in row)
    answer = client.get("/sparql", params={"query": query, "format": "tsv"})
    assert answer.status_code == 200, answer.text
    readable(tsv_cells(answer.text))


@pytest.fixture(scope="module")
def writer(services):
    keyed = services.settings.model_copy(update={"api_key": SecretStr(KEY)})
    with TestClient(create_app(keyed, Services(keyed, services.store, services.index, services.engine)),
                    base_url="http://127.0.0.1") as c:
        yield c


ROUTES = [("/search", {"q": "quokkabird", "format": "csv"}), ("/export/search", {"q": "quokkabird", "format": "csv"}),
          ("/search", {"q": "quokkabird", "format": "jsonl"})]


def generated_cells(n: int, seed: int = 27) -> list[str]:
    """Cells of every dangerous form, generated from a seed (one upload holds them all: the routes'
    test writes the store once, not once per example)."""
    rng = random.Random(seed)
    leads = " \u00a0\u2003\u3000\u202f" + INVISIBLE
    signs = sorted(FORMULA_SIGNS)
    out = []
    for i in range(n):
        if i % 4 == 3:
            out.append(rng.choice("\t\r\n") + f"cell {i}")
        else:
            lead = "".join(rng.choice(leads) for _ in range(rng.randint(0, 3)))
            out.append(lead + signs[i % len(signs)] + f"HYPERLINK({i})")
    return out


def test_search_and_list_routes_as_csv(writer):
    cells = iter(generated_cells(40))
    rec = record("2023/910077", title=next(cells) + " quokkabird")
    for r in rec["recommendations"]:
        r["text"] = next(cells) + " quokkabird"
        r["response"] = next(cells)
    r = writer.post("/ingest", headers={"X-API-Key": KEY}, files=[("files", ("cells.jsonl", jsonl(rec)))])
    assert r.status_code == 200 and not r.json()["failures"], r.text
    first = rec["recommendations"][0]["text"]
    for path, params in ROUTES:
        answer = writer.get(path, params=params)
        assert answer.status_code == 200, answer.text
        if params["format"] == "csv":
            rows = list(csv.reader(io.StringIO(answer.text, newline="")))
            assert len(rows) == 1 + len(rec["recommendations"])
            assert any(c == "'" + first for row in rows for c in row)
            readable(c for row in rows for c in row)
        else:  # JSON lines are data, not a spreadsheet: the text comes back as written
            assert any(json.loads(line)["text"] == first for line in answer.text.splitlines())
    for name in ("forces", "cases", "recommendations"):
        answer = writer.get(f"/{name}", params={"format": "csv"})
        if answer.status_code == 200:
            readable(c for row in csv.reader(io.StringIO(answer.text, newline="")) for c in row)

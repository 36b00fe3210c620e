"""Every command and subcommand of `iopc-kg`, given bad arguments, answers with a message and exit
code 1 or 2, never a traceback; every read command speaks every --format; global options work
before and after the command; names resolve with "did you mean".

Commands run in this process (click's CliRunner) over one ingested copy of the samples, so the
whole file takes seconds; tests/test_cli_served.py runs them as processes beside a real server.
"""

from __future__ import annotations

import csv
import io
import json
import traceback

import click
import pytest
from click.testing import CliRunner

from api.cli import main
from api.commands.base import DateParam
from tests.conftest import SAMPLES

NEVER_RUN = {"serve"}  # given good arguments it would serve: only its bad arguments are tried


def commands(group: click.Group = main, prefix: tuple[str, ...] = ()):
    """(path, command) of every command and subcommand."""
    for name, cmd in sorted(group.commands.items()):
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from commands(cmd, (*prefix, name))


def bad_values(param: click.Parameter) -> list[str]:
    kind = param.type
    if isinstance(kind, click.Choice):
        return ["not-a-choice"]
    if isinstance(kind, DateParam):
        return ["13/13/2026", "yesterday-ish"]
    if isinstance(kind, (click.IntRange, click.FloatRange)):
        return ["-5", "many"]
    if kind in (click.INT, click.FLOAT) or isinstance(kind, (click.types.IntParamType, click.types.FloatParamType)):
        return ["many"]
    if isinstance(kind, click.Path) and kind.exists:
        return ["/no/such/path"]
    return []


def bad_invocations():
    """Each command with an unknown option, without its required argument, and with each typed
    option given a value of the wrong kind."""
    for path, cmd in commands():
        yield path, [*path, "--no-such-option"]
        required = [p for p in cmd.params if isinstance(p, click.Argument) and p.required]
        if required and not isinstance(cmd, click.Group):
            yield path, list(path)
        good_args = ["x"] * len(required)
        for param in cmd.params:
            if isinstance(param, click.Option) and not param.is_flag and param.name not in ("data_dir",):
                for value in bad_values(param):
                    yield path, [*path, *good_args, param.opts[0], value]
            if isinstance(param, click.Argument):
                for value in bad_values(param):
                    yield path, [*path, value]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    data = tmp_path_factory.mktemp("cli") / "data"
    result = CliRunner().invoke(main, ["--data-dir", str(data), "--quiet", "ingest", str(SAMPLES), "--format", "json"])
    assert result.exit_code == 0, result.output
    return data


def invoke(data, *args):
    return CliRunner().invoke(main, [*args, "--data-dir", str(data)], catch_exceptions=True)


def assert_clean_failure(result, args):
    """Exit 1 or 2 with a message, and no Python traceback anywhere."""
    shown = "".join(traceback.format_exception(result.exception)) if result.exception and not isinstance(result.exception, SystemExit) else ""
    assert not shown, f"{args}: {shown}"
    assert result.exit_code in (1, 2), f"{args}: exit {result.exit_code}: {result.output}"
    assert "Traceback" not in result.output
    assert "Error" in result.output or "error" in result.output, f"{args}: no message: {result.output!r}"


def test_every_command_with_bad_arguments_fails_with_a_message(data):
    tried = set()
    for path, args in bad_invocations():
        tried.add(path)
        assert_clean_failure(invoke(data, *args), args)
    assert tried == {path for path, _ in commands()}  # every command and subcommand was tried
    assert len(tried) >= 25


@pytest.mark.parametrize("args", [
    ["search", "athena", "--status", "yes"],
    ["search", "athena", "--force", "nowhere"],
    ["search", "athena", "--programme", "no-such-programme"],
    ["search", "athena", "--year", "1850"],
    ["patterns", "deadlines", "--on", "01/13/2026"],
    ["patterns", "force", "nowhere"],
    ["patterns", "similar", "nowhere"],
    ["patterns", "programme", "no-such-programme"],
    ["similar", "no-such-recommendation"],
    ["cypher", "CREATE (n:Force {id: 'x'})"],
    ["cypher", "MATCH (n) RETURN n", "-p", "no-equals-sign"],
    ["export", "--force", "nowhere"],
    ["generate", "5", "--start-year", "2020", "--end-year", "2010"],
])
def test_bad_values_are_clear_errors_with_exit_2(data, args):
    result = invoke(data, *args)
    assert_clean_failure(result, args)
    assert result.exit_code == 2, result.output


def test_an_unknown_name_says_what_was_meant(data):
    result = invoke(data, "patterns", "force", "esex")
    assert result.exit_code == 2 and "did you mean 'essex' (Essex Police)" in result.output
    result = invoke(data, "search", "athena", "--force", "Esex Police")
    assert result.exit_code == 2 and "Essex Police" in result.output


def test_read_commands_without_data_say_to_ingest(tmp_path):
    for args in (["search", "athena"], ["patterns", "force", "essex"], ["forces"], ["cypher", "MATCH (n) RETURN n"], ["export"]):
        result = invoke(tmp_path / "empty", *args)
        assert result.exit_code == 1 and "iopc-kg ingest" in result.output, (args, result.output)


def test_global_options_go_before_or_after_the_command(data, tmp_path):
    before = CliRunner().invoke(main, ["--data-dir", str(data), "forces", "--format", "csv"])
    after = CliRunner().invoke(main, ["forces", "--format", "csv", "--data-dir", str(data)])
    nested = CliRunner().invoke(main, ["patterns", "force", "Essex Police", "--data-dir", str(data), "--format", "json"])
    assert before.exit_code == after.exit_code == nested.exit_code == 0, (before.output, after.output, nested.output)
    assert before.output == after.output and "essex" in before.output
    assert json.loads(nested.output)["id"] == "essex"
    for path, cmd in commands():
        shown = CliRunner().invoke(main, [*path, "--help"]).output
        assert "--data-dir" in shown and "--store" in shown, f"iopc-kg {' '.join(path)} --help"


# Read commands and the list each shows as rows.
READS = [
    ["search", "athena"], ["similar", "2021-155873-1"], ["clusters", "--min-forces", "2"],
    ["cypher", "MATCH (f:Force) RETURN f.id AS id LIMIT 3"],
    ["forces"], ["programmes"], ["themes"], ["bodies"],
    ["patterns", "force", "Essex Police"], ["patterns", "programme", "Athena"], ["patterns", "theme", "custody"],
    ["patterns", "body", "College of Policing"], ["patterns", "spread"], ["patterns", "similar", "essex"],
    ["patterns", "cooccurrence"], ["patterns", "deadlines", "--on", "1 January 2026"], ["patterns", "acceptance"],
    ["patterns", "dependencies"],
]


@pytest.mark.parametrize("args", READS, ids=lambda a: " ".join(a[:2]))
def test_every_read_command_speaks_every_format(data, args):
    outputs = {}
    for fmt in ("csv", "jsonl", "json", "table"):
        result = invoke(data, *args, "--format", fmt)
        assert result.exit_code == 0, (fmt, result.output)
        outputs[fmt] = result.stdout
    rows = list(csv.DictReader(io.StringIO(outputs["csv"])))
    lines = [json.loads(line) for line in outputs["jsonl"].splitlines()]
    document = json.loads(outputs["json"])
    assert rows and lines and document and outputs["table"].strip()
    assert len(rows) == len(lines)
    assert "<mark" not in outputs["csv"] + outputs["jsonl"]


def test_search_exports_every_hit_with_full_text(data):
    everything = invoke(data, "search", "", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(everything.stdout)))
    assert len(rows) == 40  # every recommendation of the samples: no page cap
    seed = next(r for r in rows if r["id"] == "2022-178839-3")
    assert seed["text"].startswith("The IOPC recommends that Essex Police") and seed["text"].endswith("for supervisory reviews.")
    assert "Athena Governance group" in seed["response"]
    suffolk = next(r for r in rows if r["id"] == "2023-188710-1")
    assert suffolk["source_url"] == "https://www.policeconduct.gov.uk/recommendations/suffolk-stalking-reviews-2024"
    assert "40 recommendations found" in everything.stderr
    paged = [json.loads(line) for line in invoke(data, "search", "", "--format", "jsonl", "--limit", "5", "--page", "2").stdout.splitlines()]
    assert [r["id"] for r in paged] == [r["id"] for r in rows[5:10]]


def test_ingest_of_nothing_exits_1(tmp_path):
    (tmp_path / "empty").mkdir()
    result = invoke(tmp_path / "data", "ingest", str(tmp_path / "empty"))
    assert result.exit_code == 1 and "nothing was ingested" in result.output
    # Every file refused (the samples' damaged pages that hold no case; the header-only page there is a case).
    damaged = invoke(tmp_path / "data", "ingest", str(SAMPLES / "damaged" / "ipcc-glossary-only.txt"),
                     str(SAMPLES / "damaged" / "hmicfrs-tracker-404.txt"))
    assert damaged.exit_code == 1 and "refused: junk_glossary" in damaged.output


def test_generate_then_ingest_a_records_file_larger_than_a_page(tmp_path):
    out = tmp_path / "gen.jsonl"
    made = invoke(tmp_path / "data", "generate", "5", "--seed", "3", "-o", str(out))
    assert made.exit_code == 0, made.output
    with out.open("a") as f:  # blank lines are skipped: a file over the 5 MB a page may be, of 5 cases
        f.write("\n" * 5_100_000)
    ingested = invoke(tmp_path / "data", "ingest", str(out), "--format", "json")
    assert ingested.exit_code == 0, ingested.output
    assert json.loads(ingested.stdout)["cases"] == 5


@pytest.mark.parametrize("query", ["Essex AND", "athena NOT", "year:[2020 TO", "force: athena"])
def test_a_query_read_otherwise_says_so_on_stderr_only(data, query):
    result = invoke(data, "search", query, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    assert "could not be read as written" in result.stderr and "could not be read" not in result.stdout
    assert [json.loads(line) for line in result.stdout.splitlines()]  # the reading's hits


def test_cooccurrence_with_a_huge_min_count_is_a_clear_error(data):
    result = invoke(data, "patterns", "cooccurrence", "--min-count", str(2**64))
    assert result.exit_code in (1, 2) and "unexpected" not in result.output.lower(), result.output
    assert "min" in result.output.lower()


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
@pytest.mark.parametrize("graph, extra", [("overview", []), ("cooccurrence", ["--pair", "programme-theme"]), ("spread", []),
                                          ("similarity", ["--force", "Essex Police"]), ("neighbourhood", ["--node", "force:essex", "--depth", "2"])])
def test_export_writes_every_network_whole(data, tmp_path, graph, extra, fmt):
    import re

    import networkx as nx

    result = invoke(data, "export", "--format", fmt, "--graph", graph, *extra, "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    (path,) = tmp_path.glob(f"*.{fmt}")
    g = nx.read_graphml(path) if fmt == "graphml" else nx.read_gexf(path)
    said = re.search(r"(\d+) nodes and (\d+) edges \(all of them\)", result.stderr)
    assert said and (int(said[1]), int(said[2])) == (g.number_of_nodes(), g.number_of_edges()) and g.number_of_edges() > 0
    assert not result.stdout  # the file is the output; the note is on stderr
    named = [a for _, a in g.nodes(data=True) if a.get("name")]
    assert named and all(a["label"] == a["name"] for a in named)


def test_export_of_a_neighbourhood_needs_its_node(data):
    result = invoke(data, "export", "--format", "gexf", "--graph", "neighbourhood")
    assert result.exit_code == 2 and "--node" in result.output


@pytest.mark.parametrize("spelling", ["1 January 2000", "01/01/2000", "Jan 1 2000", "2000-01-01T00:00:00Z"])
def test_changes_since_takes_any_usual_spelling_of_a_date(data, spelling):
    iso = invoke(data, "changes", "--since", "2000-01-01", "--format", "json")
    spelled = invoke(data, "changes", "--since", spelling, "--format", "json")
    assert spelled.exit_code == iso.exit_code == 0, spelled.output
    assert json.loads(spelled.stdout) == json.loads(iso.stdout)


def test_a_profile_as_csv_has_no_json_in_its_cells_and_gives_each_table_with_section(data):
    summary = invoke(data, "patterns", "force", "essex", "--format", "csv")
    assert summary.exit_code == 0, summary.output
    (row,) = list(csv.DictReader(io.StringIO(summary.stdout)))
    assert row["name"] == "Essex Police" and not any(v.lstrip().startswith(("[", "{")) for v in row.values())
    assert "--section" in summary.stderr and "by_year" in summary.stderr
    years = list(csv.DictReader(io.StringIO(invoke(data, "patterns", "force", "essex", "--format", "csv", "--section", "by_year").stdout)))
    assert years and {"year", "statuses.accepted"} <= set(years[0])
    programmes = list(csv.DictReader(io.StringIO(invoke(data, "patterns", "force", "essex", "--format", "csv", "--section", "programmes").stdout)))
    assert "athena" in {p["id"] for p in programmes} and all(not p["name"].startswith("[") for p in programmes)
    wrong = invoke(data, "patterns", "force", "essex", "--section", "nope")
    assert wrong.exit_code == 2 and "by_year" in wrong.output


def test_patterns_compare_sorts_and_exports(data):
    rows = list(csv.DictReader(io.StringIO(invoke(data, "patterns", "compare", "--format", "csv", "--sort", "name", "--asc").stdout)))
    assert rows and [r["name"] for r in rows] == sorted((r["name"] for r in rows), key=str.lower)
    assert {"accepted_share", "overdue", "median_days_to_respond", "top_programmes"} <= set(rows[0])

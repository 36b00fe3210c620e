"""The `iopc-kg parse` contract: JSON lines on stdout, errors naming files on stderr, exit code 1."""

import json
import subprocess
import sys

CONTRACT_KEYS = {"reference", "title", "force", "date_recommended", "response_due", "response_due_derived",
                 "published", "source_url", "layout", "warnings", "recommendations"}
REC_KEYS = {"numbers", "text", "addressed_to", "linked_bodies", "status", "status_label", "response", "programmes", "themes"}


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "api.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_parse_prints_one_object_per_case_and_fails_on_bad_files(samples_dir):
    proc = run("parse", str(samples_dir))
    assert proc.returncode == 1
    cases = [json.loads(line) for line in proc.stdout.splitlines()]
    # 25 good pages (one holds two cases, two pairs are renderings of one case each): 23 cases, two of
    # them header-only (samples/damaged/derbyshire-investigation-cut.txt, northumbria-…-header-only.txt).
    assert len(cases) == 23 and len({c["id"] for c in cases}) == 23
    assert sum(c["incomplete"] for c in cases) == 2
    assert all(c["recommendations"] for c in cases if not c["incomplete"])
    for case in cases:
        assert CONTRACT_KEYS <= set(case)
        for rec in case["recommendations"]:
            assert REC_KEYS <= set(rec)
            assert all({"id", "name", "kind", "new"} <= set(p) for p in rec["programmes"])
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 2
    assert any("ipcc-glossary-only.txt: refused: junk_glossary" in e for e in errors)
    assert any("hmicfrs-tracker-404.txt: refused: hmicfrs_tracker (tracker markup" in e and "an HMICFRS recommendation tracker page" in e for e in errors)


def test_parse_of_good_files_exits_zero(seed_path):
    proc = run("parse", str(seed_path))
    assert proc.returncode == 0 and proc.stderr == ""
    assert json.loads(proc.stdout)["reference"] == "2022/178839"


def test_parse_explain_shows_the_layout_and_what_each_line_became(samples_dir):
    proc = run("parse", "--explain", str(samples_dir / "kent-police-2021-03-unnumbered.txt"),
               str(samples_dir / "damaged" / "hmicfrs-tracker-404.txt"))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "layout: PC-B" in out
    assert "recommendation 2: starts (text)" in out and "recommendation 1: status label" in out
    assert "| No" in out and "incomplete: False" in out
    assert "refused:" in out and "HMICFRS recommendation tracker page" in out


def test_a_folder_parsed_by_worker_processes_gives_what_one_process_gives(tmp_path, samples_dir, monkeypatch):
    """Many files are read by worker processes (a fresh command line is alone: it forks them); the
    cases, their order and the failures are those of reading them one after another in this process."""
    from bench.parse_bench import corpus
    from ingest import pipeline

    many = pipeline.PARALLEL_FROM
    for name, text in corpus(many):
        (tmp_path / name).write_text(text)
    (tmp_path / "broken.json").write_text("{")
    proc = run("parse", str(tmp_path), "--no-merge")
    assert proc.returncode == 1
    monkeypatch.setattr(pipeline, "PARALLEL_FROM", 10**9)
    result = pipeline.parse_paths([tmp_path], merge=False)
    assert len(result.cases) > many and any(f.path.endswith("broken.json") for f in result.failures)
    assert [json.loads(line) for line in proc.stdout.splitlines()] == [json.loads(json.dumps(c.to_dict())) for c in result.cases]
    assert sorted(proc.stderr.strip().splitlines()) == sorted(f"error: {f.message}" for f in result.failures)

"""Ten thousand damaged pages: truncated, binary, huge, wrongly encoded, wrapped in HTML soup, every
layout with fields removed or duplicated. The parser answers each with a case or an error naming the
file; an ingest of a thousand of them goes on past every bad one. (Hangs fail by pytest-timeout.)"""

from __future__ import annotations

import random
import re

import pytest

from ontology.settings import Settings
from graph.open import open_store
from ingest.load import ingest_paths
from ingest.pipeline import parse_file
from ontology.exc import IopcKgError
from search.index import SearchIndex
from tests.goldens import SAMPLES

pytestmark = pytest.mark.slow  # 10,000 damaged files; tests/test_real_patterns.py covers each pattern fast

N = 10_000
SOURCES = sorted(p for p in SAMPLES.rglob("*") if p.suffix in (".txt", ".html", ".jsonl") and p.is_file())
LABEL = re.compile(r"^(IOPC reference|Date of recommendation|Date response due|Addressed to|Linked bodies|Recommendation|Response|Accepted|Tags)", re.I)


def mutate(data: bytes, rng: random.Random, records: bool = False) -> bytes:
    op = rng.choice(["truncate", "drop", "dup", "noise", "encoding", "soup", "huge", "fields", "nul", "shuffle", "combo"])
    lines = data.split(b"\n")
    if op == "truncate":
        return data[: rng.randrange(len(data) + 1)]
    if op == "drop":
        return b"\n".join(l for l in lines if rng.random() > 0.3)
    if op == "dup":
        out = []
        for l in lines:
            out += [l] * (2 if rng.random() < 0.3 else 1)
        return b"\n".join(out)
    if op == "noise":
        b = bytearray(data)
        for _ in range(rng.randint(1, 50)):
            if b:
                b[rng.randrange(len(b))] = rng.randrange(256)
        return bytes(b)
    if op == "encoding":
        text = data.decode("utf-8", "replace")
        return text.encode(rng.choice(["utf-16", "latin-1", "cp1252", "utf-32"]), "replace")
    if op == "soup":
        text = data.decode("utf-8", "replace")
        return (f"<html><body><div><p>{text[:len(text) // 2]}<table><tr><td>{text[len(text) // 2:]}"
                "<script>var x = '<p>';</script></span></div>").encode()
    if op == "huge":  # a page mostly past the page size limit (refused by name), sometimes just large
        block = (lines[rng.randrange(len(lines))] + b"\n" if lines else b"x\n") * 50
        # A record file has no page limit: its records are read one by one (0.4 ms each), and a
        # 19 MB one only made this test slow (27 of them were 140 s of CI's 25 minutes).
        return data + block * (rng.randint(300, 2_000) if rng.random() < 0.8 and not records else rng.randint(1, 5))
    if op == "fields":
        return b"\n".join(l for l in lines if not LABEL.match(l.decode("utf-8", "replace")) or rng.random() < 0.5)
    if op == "nul":
        return data.replace(b" ", b"\x00", rng.randint(1, 20))
    if op == "shuffle":
        rng.shuffle(lines)
        return b"\n".join(lines)
    return mutate(mutate(data, rng, records), rng, records)


@pytest.fixture(scope="module")
def damaged(tmp_path_factory):
    root = tmp_path_factory.mktemp("damaged")
    rng = random.Random(2026)
    originals = [(p, p.read_bytes()) for p in SOURCES]
    paths = []
    for n in range(N):
        source, data = originals[n % len(originals)]
        path = root / f"{n:05d}-{source.name}"
        path.write_bytes(mutate(data, rng, records=source.suffix == ".jsonl"))
        paths.append(path)
    return paths


def test_the_parser_answers_every_damaged_page(damaged):
    parsed = failed = 0
    for path in damaged:
        try:
            cases = parse_file(path)
        except IopcKgError as e:
            assert path.name in e.message, e.message
            failed += 1
            continue
        for case in cases:
            # A case with no recommendation is only ever a header-only one, and says so.
            assert case.recommendations or case.incomplete
            assert all(r.status in {"accepted", "partially_accepted", "not_accepted", "awaiting_response", "unknown"}
                       for r in case.recommendations)
        parsed += 1
    assert parsed + failed == N
    assert parsed > N // 4 and failed > N // 20  # the damage is real, and much is still readable


def test_an_ingest_of_damaged_pages_goes_on_past_every_bad_one(damaged, tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    for path in damaged[:1000]:
        (batch / path.name).write_bytes(path.read_bytes())
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    with open_store(settings) as store:
        index = SearchIndex(settings.index_dir)
        summary = ingest_paths([batch], store, index)
        assert summary.files == 1000
        assert all(f.path and f.message for f in summary.failures)
        assert summary.written + summary.unchanged == summary.cases > 0
        assert store.counts()["Case"] == summary.cases == len({c.id for c in store.case_records()})
        assert index.doc_count() == store.counts()["Recommendation"]
        index.close()

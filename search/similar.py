"""Similar recommendations across forces: "is this learning recurring?".

TF-IDF over the recommendation texts (words and word pairs, English stop words removed, sublinear
term frequency) with cosine similarity, from scikit-learn. The recommending force's own name is
taken out of each text first: "The IOPC recommends that Kent Police ..." would otherwise make every
Kent recommendation look alike and every other force's look different. Built once per index commit.
scikit-learn and scipy are imported when vectors are first built: a search never needs them, and
importing them is most of a command's start-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from typing import TYPE_CHECKING

import numpy as np
from whoosh.searching import Searcher

from ontology.exc import InvalidData, NotFound
from search.index import SearchIndex

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

_BOILERPLATE = re.compile(r"\b(the\s+)?iopc\s+recommends?\s+that\b", re.I)


@dataclass
class Vectors:
    ids: list[str]
    row: dict[str, int]
    docs: list[dict]
    forces: np.ndarray  # force id per row ("" when unknown)
    matrix: csr_matrix  # rows L2-normalised: a dot product is the cosine
    terms: np.ndarray


def _clean(doc: dict) -> str:
    text = _BOILERPLATE.sub(" ", doc.get("text") or "")
    if doc.get("force_name"):
        text = re.sub(re.escape(doc["force_name"]), " ", text, flags=re.I)
    return text


def build_vectors(searcher: Searcher) -> Vectors:
    from scipy.sparse import csr_matrix
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = sorted(searcher.all_stored_fields(), key=lambda d: d["id"])
    vectoriser = TfidfVectorizer(stop_words="english", ngram_range=(1, 2), sublinear_tf=True, min_df=1,
                                 max_df=0.5 if len(docs) > 20 else 1.0, strip_accents="unicode")
    texts = [_clean(d) for d in docs]
    if not docs or not any(t.strip() for t in texts):
        return Vectors([], {}, [], np.array([]), csr_matrix((0, 0)), np.array([]))
    matrix = vectoriser.fit_transform(texts).tocsr()
    ids = [d["id"] for d in docs]
    return Vectors(ids, {i: n for n, i in enumerate(ids)}, docs, np.array([d.get("force", "") for d in docs]),
                   matrix, vectoriser.get_feature_names_out())


def _summary(doc: dict, score: float | None = None) -> dict:
    out = {
        "id": doc["id"], "case_id": doc["case_id"], "reference": doc.get("reference"),
        "force": {"id": doc["force"], "name": doc.get("force_name")} if doc.get("force") else None,
        "status": doc.get("status"), "date_recommended": doc.get("date_recommended"), "text": doc.get("text"),
    }
    if score is not None:
        out["score"] = round(float(score), 4)
    return out


def similar(index: SearchIndex, rec_id: str, limit: int = 10, other_forces: bool = True, min_score: float = 0.05) -> dict:
    """The recommendations most like `rec_id`, ranked by cosine similarity; by default only other forces'."""
    v: Vectors = index.cached("vectors", build_vectors)
    if rec_id not in v.row:
        raise NotFound(f"No recommendation with id {rec_id!r}", errors={"id": rec_id})
    i = v.row[rec_id]
    scores = (v.matrix @ v.matrix[i].T).toarray().ravel()
    scores[i] = -1
    if other_forces and v.forces[i]:
        scores[v.forces == v.forces[i]] = -1
    order = np.argsort(-scores, kind="stable")[:limit]
    hits = [_summary(v.docs[j], scores[j]) for j in order if scores[j] >= min_score]
    return {"recommendation": _summary(v.docs[i]), "other_forces_only": other_forces, "similar": hits}


def clusters(index: SearchIndex, threshold: float = 0.5, min_forces: int = 3, limit: int = 50, chunk: int = 2000) -> list[dict]:
    """Groups of recommendations that say nearly the same thing to several forces.

    Two recommendations are linked when their cosine similarity reaches `threshold`; a cluster is a
    connected group of links, kept when it spans at least `min_forces` forces. Ranked by forces,
    then size.
    """
    if not 0 < threshold <= 1:
        raise InvalidData("threshold must be in (0, 1]", errors={"threshold": str(threshold)})
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    v: Vectors = index.cached("vectors", build_vectors)
    n = len(v.ids)
    if n == 0:
        return []
    rows, cols = [], []
    for start in range(0, n, chunk):
        block = (v.matrix[start:start + chunk] @ v.matrix.T).tocoo()
        keep = (block.data >= threshold) & (block.row + start < block.col)
        rows.append(block.row[keep] + start)
        cols.append(block.col[keep])
    r, c = np.concatenate(rows), np.concatenate(cols)
    graph = csr_matrix((np.ones(len(r), dtype=np.int8), (r, c)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    out = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        forces = sorted({str(f) for f in v.forces[members] if f})
        if len(members) < 2 or len(forces) < min_forces:
            continue
        centroid = np.asarray(v.matrix[members].mean(axis=0)).ravel()
        terms = [str(v.terms[t]) for t in np.argsort(-centroid)[:6] if centroid[t] > 0]
        docs = [v.docs[m] for m in members]
        out.append({
            "id": min(d["id"] for d in docs),
            "size": len(members),
            "forces": forces,
            "terms": terms,
            "members": [_summary(d) for d in sorted(docs, key=lambda d: (d.get("force", ""), d["id"]))],
        })
    out.sort(key=lambda c: (-len(c["forces"]), -c["size"], c["id"]))
    return out[:limit]

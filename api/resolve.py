"""Names or ids wherever an entity is named: `Essex Police`, `essex` and `ESSEX` are the same force,
and an unknown one is a 404 that says which were meant ("did you mean")."""

from __future__ import annotations

import difflib

from graph.store import GraphStore
from ontology.exc import NotFound
from ontology.gazetteer import gazetteer, norm

# The node kinds a person names, with the plural the error message uses.
KINDS = {"Force": "forces", "Programme": "programmes", "Theme": "themes", "Body": "bodies"}


def resolve(store: GraphStore, kind: str, given: str) -> str:
    """The id of the `kind` node that `given` names (its id, name or an alias of the gazetteer).

    Raises NotFound with the nearest names when nothing matches."""
    text = (given or "").strip()
    candidates = [text, text.lower(), gazetteer().lookup((kind,), text)]
    for candidate in dict.fromkeys(c for c in candidates if c):
        try:
            store.get_node(kind, candidate)
            return candidate
        except NotFound:
            continue
    nodes = store.list_nodes(kind, 0, 100_000)
    by_name = {norm(n["id"]): n["id"] for n in nodes} | {norm(n.get("name") or ""): n["id"] for n in nodes if n.get("name")}
    found = by_name.get(norm(text))
    if found:
        return found
    raise NotFound(f"No {kind.lower()} {text!r}{_did_you_mean(nodes, text)}; "
                   f"`iopc-kg {KINDS.get(kind, kind.lower() + 's')}` or GET /{KINDS.get(kind, kind.lower() + 's')} lists them",
                   errors={"id": text})


def suggestions(nodes: list[dict], text: str, n: int = 3) -> list[dict]:
    """The nodes whose id or name is nearest `text` (a prefix counts as near)."""
    key = norm(text)
    if not key:
        return []
    names = {}
    for node in nodes:
        for name in (node["id"], node.get("name")):
            if name:
                names.setdefault(norm(name), node)
    close = [names[k] for k in difflib.get_close_matches(key, list(names), n=n, cutoff=0.6)]
    close += [node for k, node in names.items() if key in k.split() or k.startswith(key)]
    return list({node["id"]: node for node in close}.values())[:n]


def _did_you_mean(nodes: list[dict], text: str) -> str:
    near = suggestions(nodes, text)
    if not near:
        return ""
    return "; did you mean " + " or ".join(f"{n['id']!r} ({n['name']})" if n.get("name") else repr(n["id"]) for n in near)

"""Gazetteers of forces, bodies, programmes and themes, and the matchers built from them.

Two kinds of lookup:
- `resolve_orgs(text)`: a whole label such as an `Addressed to:` value, which must consist of known
  names joined by connectors; anything left over means the label is damaged.
- `find_programmes(text)` / `find_themes(text)` / `find_bodies(text)`: mentions in free text, with spans.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import yaml

from ontology.exc import InvalidModel

GAZETTEER_DIR = Path(__file__).parent / "gazetteers"
_APOSTROPHES = "'’‘`´"
_CONNECTORS = {"and", "the", "to", "of", "or"}


def fold(text: str) -> str:
    """Strip accents: 'Café' -> 'Cafe'."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def norm(text: str) -> str:
    """Normalise a name for comparison: case, accents, apostrophes, '&', dashes and punctuation."""
    text = fold(text).casefold()
    text = re.sub(f"[{_APOSTROPHES}]", "", text)
    text = text.replace("&", " and ")
    text = re.sub(r"[^\w\s]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class Entry:
    kind: str  # Force | Body | Programme | Theme
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Match:
    entry: Entry
    start: int
    end: int
    surface: str


def _alias_regex(alias: str) -> str:
    """A regex for an alias that tolerates dashes, apostrophes and '&'/'and' variation."""
    words = re.split(r"[\s\-–]+", alias.strip())
    parts = []
    for w in words:
        if w == "&" or w.lower() == "and":
            parts.append(r"(?:&|and)")
            continue
        pieces = [re.escape(p).replace(r"\*", r"\w*") for p in re.split(f"[{_APOSTROPHES}]", w)]
        parts.append(f"[{_APOSTROPHES}]?".join(pieces))
    return r"[\s\-–]+".join(parts)


class _Finder:
    """Finds aliases in free text; case-sensitive aliases are kept apart from the rest."""

    def __init__(self, entries: list[Entry], case_sensitive: set[str]):
        self.by_norm: dict[str, Entry] = {}
        insensitive, sensitive = [], []
        for entry in entries:
            for alias in (entry.name, *entry.aliases):
                key = norm(alias.replace("*", ""))
                if not key:
                    continue
                self.by_norm.setdefault(key, entry)
                (sensitive if alias in case_sensitive else insensitive).append(alias)
        self._wild = [(re.compile(_alias_regex(a), re.I), e) for e in entries for a in e.aliases if "*" in a]
        self.patterns = [
            re.compile(rf"(?<![\w]){self._alternation(aliases)}(?![\w])", flags)
            for aliases, flags in ((insensitive, re.I), (sensitive, 0))
            if aliases
        ]

    @staticmethod
    def _alternation(aliases: list[str]) -> str:
        uniq = sorted(set(aliases), key=lambda a: (-len(a), a))
        return "(?:" + "|".join(_alias_regex(a) for a in uniq) + ")"

    def find(self, text: str) -> list[Match]:
        found: list[Match] = []
        for pattern in self.patterns:
            for m in pattern.finditer(text):
                entry = self.by_norm.get(norm(m.group()))
                if entry is None:
                    entry = next((e for rx, e in self._wild if rx.fullmatch(m.group())), None)
                if entry is not None:
                    found.append(Match(entry, m.start(), m.end(), m.group()))
        # Keep the longest of overlapping matches.
        found.sort(key=lambda m: (m.start, -(m.end - m.start)))
        out: list[Match] = []
        for m in found:
            if out and m.start < out[-1].end:
                continue
            out.append(m)
        return out


class Gazetteer:
    """All gazetteers, loaded once from `gazetteers/*.yaml`."""

    def __init__(self, directory: Path = GAZETTEER_DIR):
        load = lambda name: yaml.safe_load((directory / f"{name}.yaml").read_text()) or []  # noqa: E731
        self.forces = [self._force(f) for f in load("forces")]
        self.bodies = [self._body(b) for b in load("bodies")] + self._local_policing_bodies()
        self.programmes = [self._programme(p) for p in load("programmes")]
        self.themes = [self._theme(t) for t in load("themes")]
        self._raw_programmes = {p["id"]: p for p in load("programmes")}
        self._raw_bodies = {b["id"]: b for b in load("bodies")}
        self.by_key = {(e.kind, e.id): e for e in self.forces + self.bodies + self.programmes + self.themes}
        if len(self.by_key) != len(self.forces) + len(self.bodies) + len(self.programmes) + len(self.themes):
            raise InvalidModel("Duplicate id in the gazetteers")
        self._check_users()

    # -- loading -----------------------------------------------------------------------------------

    @staticmethod
    def _force(f: dict) -> Entry:
        aliases = list(f.get("aliases") or [])
        if f.get("area"):
            aliases.append(f["area"])
        extra = {
            "kind": f.get("kind", "territorial"),
            "country": f.get("country", "England"),
            "police_uk_id": f.get("police_uk_id", f["id"]),
            "area": f.get("area") if f.get("kind", "territorial") == "territorial" else None,
            "ons_pfa": (f.get("ons_pfa") or {}).get("code"),  # cited in forces.yaml
        }
        return Entry("Force", f["id"], f["name"], tuple(aliases), extra)

    @staticmethod
    def _body(b: dict) -> Entry:
        return Entry("Body", b["id"], b["name"], tuple(b.get("aliases") or []), {"kind": b.get("kind", "national")})

    def _local_policing_bodies(self) -> list[Entry]:
        """Each territorial force's PCC (or PFCC, or mayor's office), as pcc-{force id}."""
        out = []
        for force in self.forces:
            area = force.extra["area"] if force.extra["kind"] == "territorial" else None
            if not area:
                continue
            aliases = (
                f"{area} PCC", f"{area} OPCC", f"{area} PFCC", f"{area} Police, Fire and Crime Commissioner",
                f"Office of the {area} Police and Crime Commissioner", f"{area} Police and Crime Commissioner",
            )
            out.append(Entry("Body", f"pcc-{force.id}", f"{area} Police and Crime Commissioner", aliases,
                             {"kind": "local_policing_body", "force": force.id}))
        return out

    @staticmethod
    def _programme(p: dict) -> Entry:
        extra = {
            "kind": p["kind"],
            "description": p.get("description"),
            "users": list(p.get("users") or []),
            "case_sensitive": set(p.get("case_sensitive") or []),
        }
        return Entry("Programme", p["id"], p["name"], tuple(p.get("aliases") or []), extra)

    @staticmethod
    def _theme(t: dict) -> Entry:
        return Entry("Theme", t["id"], t["name"], tuple(t.get("terms") or []), {"description": t.get("description")})

    def _check_users(self) -> None:
        force_ids = {f.id for f in self.forces}
        for p in self.programmes:
            bad = [u for u in p.extra["users"] if u not in force_ids]
            if bad:
                raise InvalidModel(f"Programme {p.id} lists unknown user forces {bad} in programmes.yaml")

    # -- lookups -----------------------------------------------------------------------------------

    def get(self, kind: str, id: str) -> Entry | None:
        return self.by_key.get((kind, id))

    def users(self, programme_id: str) -> list[str]:
        """Forces that run a programme according to the gazetteer."""
        entry = self.get("Programme", programme_id)
        return list(entry.extra["users"]) if entry else []

    def members(self, body_id: str) -> list[str]:
        """Forces that sit on a shared body (a governance group takes its members from a programme's users)."""
        raw = self._raw_bodies.get(body_id) or {}
        source = raw.get("members_from_programme")
        return self.users(source) if source else []

    @cached_property
    def _names(self) -> dict[str, dict[str, str]]:
        """Kind -> normalised id, name or alias -> id (for `force:"Essex Police"` in a search)."""
        table: dict[str, dict[str, str]] = {}
        for (kind, _), entry in self.by_key.items():
            names = table.setdefault(kind, {})
            for name in (entry.id, entry.name, *entry.aliases):
                names.setdefault(norm(name), entry.id)
        return table

    def lookup(self, kinds: tuple[str, ...], name: str) -> str | None:
        """The id of the entry of one of `kinds` whose id, name or alias is `name`, if any."""
        key = norm(name)
        for kind in kinds:
            found = self._names.get(kind, {}).get(key)
            if found:
                return found
        return None

    @cached_property
    def _org_tokens(self) -> dict[tuple[str, ...], Entry]:
        table: dict[tuple[str, ...], Entry] = {}
        for entry in self.forces + self.bodies:
            for alias in (entry.name, *entry.aliases):
                key = tuple(norm(alias).split())
                if key:
                    table.setdefault(key, entry)
        return table

    def resolve_orgs(self, label: str) -> tuple[list[Entry], list[str]]:
        """Resolve a label naming forces/bodies. Returns (entries, leftover words); leftovers mean damage."""
        tokens = norm(label).split()
        table = self._org_tokens
        longest = max(len(k) for k in table)
        entries: list[Entry] = []
        leftover: list[str] = []
        i = 0
        while i < len(tokens):
            for size in range(min(longest, len(tokens) - i), 0, -1):
                entry = table.get(tuple(tokens[i:i + size]))
                if entry is not None:
                    if entry not in entries:
                        entries.append(entry)
                    i += size
                    break
            else:
                if tokens[i] not in _CONNECTORS:
                    leftover.append(tokens[i])
                i += 1
        return entries, leftover

    @cached_property
    def _programme_finder(self) -> _Finder:
        sensitive = set().union(*(p.extra["case_sensitive"] for p in self.programmes))
        return _Finder(self.programmes, sensitive)

    @cached_property
    def _body_finder(self) -> _Finder:
        return _Finder(self.bodies, set())

    @cached_property
    def _theme_finder(self) -> _Finder:
        # Terms in capitals (IT, SOP, DASH) are acronyms and match only in capitals.
        sensitive = {t for e in self.themes for t in e.aliases if len(t) > 1 and t.isupper()}
        return _Finder(self.themes, sensitive)

    def find_programmes(self, text: str) -> list[Match]:
        return self._programme_finder.find(text)

    def find_bodies(self, text: str) -> list[Match]:
        return self._body_finder.find(text)

    def find_themes(self, text: str) -> list[Match]:
        return self._theme_finder.find(text)


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    return Gazetteer()

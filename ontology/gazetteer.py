"""Gazetteers of forces, bodies, programmes and themes, and the matchers built from them.

Two kinds of lookup:
- `resolve_orgs(text)`: a whole label such as an `Addressed to:` value, which must consist of known
  names joined by connectors; anything left over means the label is damaged.
- `find_programmes(text)` / `find_themes(text)` / `find_bodies(text)`: mentions in free text, with spans.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import NamedTuple

import ahocorasick
import yaml

from ontology.exc import InvalidModel

GAZETTEER_DIR = Path(__file__).parent / "gazetteers"
_APOSTROPHES = "'’‘`´"
_CONNECTORS = {"and", "the", "to", "of", "or"}


def fold(text: str) -> str:
    """Strip accents: 'Café' -> 'Cafe'."""
    if text.isascii():  # nothing to strip; indexing folds every text (a third of a build's Python calls)
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def norm(text: str) -> str:
    """Normalise a name for comparison: case, accents, apostrophes, '&', dashes and punctuation."""
    text = (text if text.isascii() else fold(text)).casefold()
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


class Match(NamedTuple):
    """A name found in free text: a tuple, because a page yields dozens and a frozen dataclass is slow to make."""

    entry: Entry
    start: int
    end: int
    surface: str


# Page text and aliases are matched in one spelling: lower case, accents folded, every run of spaces,
# dashes and apostrophes one space ("self-harm", "Chief’s", "Chiefs' Council"), every other
# punctuation mark a space of its own, and a space at each end. So a key " custody " can only start
# and end at word boundaries, and "custody. Sergeants" ("custody  sergeants", two spaces) is not
# "custody sergeant*", while "Right Care, Right Person" is spelt alike on the page and in the gazetteer.
_GAP = re.compile(rf"[\s\-–{_APOSTROPHES}]+")
_LONG_GAP = re.compile(rf"[\s\-–{_APOSTROPHES}]{{2,}}")


_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_RUN = re.compile(r" {2,}")
# One character for one: word characters to lower case, gaps (white space, dashes, apostrophes) to a
# space, any other punctuation to \x01, which stops a run of spaces from being collapsed.
_SPELL = str.maketrans({
    c: (c.lower() if c.isalnum() or c == "_" else " " if c.isspace() or c in "-'`" else "\x01")
    for c in map(chr, range(128))
})


@lru_cache(maxsize=4096)
def _ascii(c: str) -> str:
    """One non-ASCII character as one ASCII character of the same role (letter, gap or punctuation)."""
    if c in _APOSTROPHES:
        return "'"
    if c == "–" or c.isspace():
        return " "
    folded = fold(c.lower())
    if len(folded) == 1 and folded.isascii():
        return folded
    return "_" if c.isalnum() else "."


@lru_cache(maxsize=64)
def spelling(text: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """`text` in the matching spelling (one leading space added), and the shifts that map its offsets
    back: (offset in the spelling, characters dropped before it), ascending. Cached: the programme,
    theme and body finders read the same texts."""
    if not text.isascii():
        text = _NON_ASCII.sub(lambda m: _ascii(m.group()), text)
    spelt = text.translate(_SPELL)
    shifts: list[tuple[int, int]] = []
    dropped = -1  # the leading space
    for m in _RUN.finditer(spelt):
        dropped += m.end() - m.start() - 1
        shifts.append((m.end() - dropped, dropped))
    if shifts:
        spelt = _RUN.sub(" ", spelt)
    return " " + spelt.replace("\x01", " ") + " ", tuple(shifts)


def _back(pos: int, shifts: tuple[tuple[int, int], ...]) -> int:
    """An offset in the matching spelling as an offset in the original text."""
    i = bisect_right(shifts, (pos, float("inf")))
    return pos + (shifts[i - 1][1] if i else -1)


class _Finder:
    """Finds aliases in free text in one pass of an Aho-Corasick automaton (pyahocorasick).

    One finder can serve several kinds at once (programmes and themes are found in one pass over a
    text); overlapping matches are resolved within each kind. A trailing `*` in an alias
    ("detainee*") matches any ending of its last word. Case-sensitive aliases ("PIP", "Connect") must
    also match the page's capitals.
    """

    def __init__(self, groups: list[tuple[list[Entry], set[str]]]):
        # key -> kind -> (first entry, wild, spellings allowed or None for any capitals)
        keys: dict[str, dict[str, tuple[Entry, bool, set[str] | None]]] = {}
        for entries, case_sensitive in groups:
            for entry in entries:
                for alias in (entry.name, *entry.aliases):
                    wild = alias.endswith("*")
                    plain = alias.replace("*", "").strip()
                    if not norm(plain):
                        continue
                    key = spelling(plain)[0].rstrip() if wild else spelling(plain)[0]
                    bare = spelling(re.sub(f"[{_APOSTROPHES}]", "", plain))[0]
                    variants = {key, bare.rstrip() if wild else bare}
                    # "&" and "and" stand for each other.
                    variants |= {v.replace(" and ", " & ") for v in variants}
                    for variant in variants:
                        self._key(keys.setdefault(variant, {}), entry, wild, alias in case_sensitive, plain)
        self.automaton = ahocorasick.Automaton()
        for k, by_kind in keys.items():
            self.automaton.add_word(k, (len(k), tuple(by_kind.values())))
        self.automaton.make_automaton()
        self.empty = not keys

    @staticmethod
    def _key(by_kind: dict, entry: Entry, wild: bool, sensitive: bool, alias: str) -> None:
        first, _, spellings = by_kind.get(entry.kind, (entry, wild, set()))
        if spellings is None or not sensitive:
            spellings = None  # any capitals, if any alias with this key allows them
        else:
            spellings.add(_GAP.sub(" ", alias))
        by_kind[entry.kind] = (first, wild, spellings)

    def find(self, text: str) -> dict[str, list[Match]]:
        """Kind -> matches in `text`, the longest of overlapping matches of one kind kept."""
        if self.empty or not text:
            return {}
        spelt, shifts = spelling(text)
        found: dict[str, list[Match]] = {}
        next_space = spelt.find
        for last, (length, payloads) in self.automaton.iter(spelt):
            first = last - length + 2  # past the key's leading space
            for entry, wild, spellings in payloads:
                # A wild key ends at the end of the word; any other at its own trailing space.
                end = next_space(" ", last + 1) if wild else last
                if shifts:
                    start, stop = _back(first, shifts), _back(end - 1, shifts) + 1
                else:
                    start, stop = first - 1, end - 1
                surface = text[start:stop]
                if spellings is not None and _GAP.sub(" ", surface) not in spellings:
                    continue
                found.setdefault(entry.kind, []).append(Match(entry, start, stop, surface))
        for kind, matches in found.items():
            matches.sort(key=lambda m: (m.start, -(m.end - m.start)))
            out: list[Match] = []
            for m in matches:
                if out and m.start < out[-1].end:
                    continue
                out.append(m)
            found[kind] = out
        return found


class Gazetteer:
    """All gazetteers, loaded once from `gazetteers/*.yaml`."""

    def __init__(self, directory: Path = GAZETTEER_DIR):
        # libyaml's loader when PyYAML has it: the pure-Python one took 0.2 s of a server's first search
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        load = lambda name: yaml.load((directory / f"{name}.yaml").read_text(), Loader=loader) or []  # noqa: E731
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

    @cached_property
    def org_first_words(self) -> frozenset[str]:
        """The first word of every force or body name, normalised (a cheap test before a lookup)."""
        return frozenset(k[0] for k in self._org_tokens)

    @cached_property
    def _org_longest(self) -> int:
        return max(len(k) for k in self._org_tokens)

    @lru_cache(maxsize=16384)  # noqa: B019 - one gazetteer per process; labels repeat across pages
    def resolve_orgs(self, label: str) -> tuple[tuple[Entry, ...], tuple[str, ...]]:
        """Resolve a label naming forces/bodies. Returns (entries, leftover words); leftovers mean damage."""
        words = norm(label).split()
        entries: list[Entry] = []
        leftover: list[str] = []
        i = 0
        while i < len(words):
            entry, size = self.org_at(words, i)
            if entry is not None:
                if entry not in entries:
                    entries.append(entry)
                i += size
            else:
                if words[i] not in _CONNECTORS:
                    leftover.append(words[i])
                i += 1
        return tuple(entries), tuple(leftover)

    def org_at(self, words: list[str], i: int) -> tuple[Entry | None, int]:
        """The longest force or body name starting at word `i` of normalised `words`, and its length."""
        table = self._org_tokens
        for size in range(min(self._org_longest, len(words) - i), 0, -1):
            entry = table.get(tuple(words[i:i + size]))
            if entry is not None:
                return entry, size
        return None, 0

    @cached_property
    def _content_finder(self) -> _Finder:
        """Programmes and themes, found in one pass. Terms in capitals (IT, SOP, DASH) are acronyms
        and match only in capitals."""
        programme_sensitive = set().union(*(p.extra["case_sensitive"] for p in self.programmes))
        theme_sensitive = {t for e in self.themes for t in e.aliases if len(t) > 1 and t.isupper()}
        return _Finder([(self.programmes, programme_sensitive), (self.themes, theme_sensitive)])

    @cached_property
    def _org_finder(self) -> _Finder:
        return _Finder([(self.forces + self.bodies, set())])

    @lru_cache(maxsize=64)  # noqa: B019 - one gazetteer per process; programmes and themes share a pass
    def _content(self, text: str) -> dict[str, list[Match]]:
        return self._content_finder.find(text)

    def find_programmes(self, text: str) -> list[Match]:
        return list(self._content(text).get("Programme", ()))

    def find_themes(self, text: str) -> list[Match]:
        return list(self._content(text).get("Theme", ()))

    def find_orgs(self, text: str) -> list[Match]:
        """Forces and bodies named in free text (each kind's overlaps resolved on its own)."""
        found = self._org_finder.find(text)
        return sorted(found.get("Force", []) + found.get("Body", []), key=lambda m: m.start)

    def find_bodies(self, text: str) -> list[Match]:
        return list(self._org_finder.find(text).get("Body", ()))


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    return Gazetteer()

"""Spreadsheet cells that no spreadsheet runs as a formula: the one function every tabular output
calls on every cell (CSV and TSV, HTTP and the command line, SPARQL results included).

OWASP, "CSV Injection": Excel, LibreOffice and Google Sheets read a cell that begins with `=`, `+`,
`-` or `@` as a formula (`=HYPERLINK(...)`, `@SUM(...)`, `-2+3+cmd|...`), and a TAB or CR before the
sign does not stop them. They also skip other leading whitespace (a space, a no-break space, an
ideographic space) and zero-width characters, and take the fullwidth and small forms of the signs
(`＝ ＋ － ＠`, `﹦ ﹢ ﹣ ﹫`, and the minus sign `−`) for the signs themselves. Text from the pages,
uploads and users' queries reaches these cells, so such a cell gets a leading apostrophe, which
every spreadsheet shows as text. Numbers (not strings) stay numbers. This module imports nothing of
the project, so the bottom layer (graph/results.py) and the API share it.
"""

from __future__ import annotations

FORMULA_SIGNS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63\ufe6b\u2212")
CONTROL_START = ("\t", "\r", "\n")  # a cell that begins with one is neutralised whatever follows
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u180e"  # not whitespace to Python, skipped by spreadsheets


def is_formula(text: str) -> bool:
    """Whether a spreadsheet could read `text` as a formula."""
    if text.startswith(CONTROL_START):
        return True
    start = text
    while True:  # whitespace and invisible characters, in any order, before the sign
        trimmed = start.lstrip().lstrip(INVISIBLE)
        if trimmed == start:
            break
        start = trimmed
    return bool(start) and start[0] in FORMULA_SIGNS


def safe_cell(value):
    """A cell no spreadsheet runs as a formula: a string that could be one gets a leading
    apostrophe; anything else (numbers, None) is returned as it is."""
    if isinstance(value, str) and value and is_formula(value):
        return "'" + value
    return value

"""Generated hostile queries (written for iopc-kg): the classes of issue 27 as many variants, not examples.

- `unterminated`: a query of the size limit whose literal is never closed, of every quote kind, made
  of escaped quotes (the text a scan from every quote took quadratic time over);
- `glued`: every clause word glued to every literal kind (`LIMIT 1CALL …`, `0x1FCALL`, `'a'CALL`);
- `table_functions`: each table function of LadybugDB called as a clause, after a read, and glued.
"""

from __future__ import annotations

LIMIT = 20_000  # characters: the routes' limit on a query
QUOTES = {"sparql": ("'", '"', "'''", '"""'), "cypher": ("'", '"', "`")}


def unterminated(kind: str, quote: str) -> str:
    """A query of exactly LIMIT characters whose literal opened with `quote` is never closed."""
    head = "SELECT * WHERE { ?s ?p " if kind == "sparql" else "MATCH (n) RETURN "
    unit = "``" if quote == "`" else "\\" + quote[0]
    body = unit * ((LIMIT - len(head) - len(quote)) // len(unit))
    return (head + quote + body).ljust(LIMIT, "a")


# Literals as the Cypher grammars read them (and some they do not: `1.e3`, `0x`, `1_000`).
LITERALS = ["1", "0", "42", "1e3", "1E3", "1e-3", "1.5", "1.5e3", ".5", "0x1F", "0x", "0o17", "1_000", "1.e3", "007",
            "'s'", '"s"', "`n`", "$p", "$1", "true", "null", "[1]", "{a: 1}"]
# Words that start a clause (or a namespace) the gate refuses, and the read ones, glued after a literal.
WORDS = ["CALL", "LOAD", "COPY", "CREATE", "MERGE", "SET", "DELETE", "DETACH", "REMOVE", "DROP", "ALTER", "FOREACH",
         "INSTALL", "ATTACH", "USE", "EXPORT", "IMPORT", "BEGIN", "COMMIT", "CHECKPOINT", "EXPLAIN", "PROFILE", "SHOW",
         "RETURN", "MATCH", "WITH", "UNWIND", "UNION", "ORDER", "SKIP", "LIMIT", "WHERE", "AND", "OR", "XOR", "AS"]
TAILS = {"CALL": " show_tables() RETURN *", "LOAD": ' FROM "/etc/passwd" RETURN *', "COPY": ' Force TO "/tmp/x.csv"',
         "CREATE": " (:Force {id: 'pwned'})", "MERGE": " (:Force {id: 'pwned'})", "SET": " n.id = 'pwned'",
         "DELETE": " n", "DETACH": " DELETE n", "REMOVE": " n.name", "DROP": " TABLE Force",
         "RETURN": " 1 AS x", "MATCH": " (m) RETURN m", "WITH": " 1 AS x RETURN x", "UNWIND": " [1] AS x RETURN x",
         "UNION": " RETURN 1 AS n", "ORDER": " BY n", "SKIP": " 1", "LIMIT": " 1", "WHERE": " true", "AS": " x"}


def glued() -> list[str]:
    """Every clause word glued to every literal kind, after each place a literal may stand."""
    out = []
    for lit in LITERALS:
        for word in WORDS:
            tail = TAILS.get(word, "")
            out += [f"MATCH (n) RETURN n LIMIT {lit}{word}{tail}", f"RETURN {lit}{word}{tail}",
                    f"UNWIND [{lit}]{word}{tail}", f"MATCH (n) WHERE n.id = {lit}{word}{tail} RETURN n"]
    return out


# LadybugDB's table functions (CALL name(...)): what an attacker calls to read the version, every
# table, the settings and the storage layout. The allow-list (graph/sandbox) admits none of these.
TABLE_FUNCTIONS = ["show_tables()", "table_info('Force')", "current_setting('home_directory')", "db_version()",
                   "show_connection('USES')", "storage_info('Force')", "show_functions()", "show_attached_databases()",
                   "show_warnings()", "clear_warnings()", "show_indexes()", "show_projected_graphs()",
                   "show_loaded_extensions()", "show_official_extensions()", "show_sequences()", "show_macros()",
                   "stats_info('Force')", "bm25_info()", "fsm_info()", "file_info('/etc/passwd')"]


def table_function_calls() -> list[str]:
    out = []
    for fn in TABLE_FUNCTIONS:
        out += [f"CALL {fn} RETURN *", f"MATCH (n) WITH n LIMIT 1 CALL {fn} RETURN *", f"MATCH (n) RETURN n LIMIT 1CALL {fn} RETURN *",
                f"RETURN 1 AS x UNION CALL {fn} RETURN *", f"call {fn} return *"]
    return out

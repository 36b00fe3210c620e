"""Choosing a store by name: `STORES[settings.store](settings)`."""

from __future__ import annotations

from graph.store import GraphStore
from ontology.exc import StoreUnavailable


def _embedded(settings, read_only: bool = False) -> GraphStore:
    from graph.embedded import EmbeddedStore

    return EmbeddedStore(settings.graph_path, read_only=read_only, buffer_pool_mb=settings.graph_buffer_mb)


def _neo4j(settings, read_only: bool = False) -> GraphStore:
    import neo4j

    from graph.neo4j import Neo4jStore

    if not settings.neo4j_uri:
        raise StoreUnavailable("store 'neo4j' needs NEO4J_URI (and NEO4J_USER, NEO4J_PASSWORD)")
    # Notifications off: the server warns about labels that do not exist yet on every question asked of a
    # fresh database, which is expected here and would bury a user's own output on stderr.
    driver = neo4j.GraphDatabase.driver(settings.neo4j_uri, auth=(settings.neo4j_user, settings.neo4j_password.get_secret_value()),
                                        user_agent="iopc-kg", notifications_min_severity="OFF")
    try:
        driver.verify_connectivity()
    except Exception as e:  # noqa: BLE001 - the driver raises several kinds; say which server failed
        driver.close()
        raise StoreUnavailable(f"cannot reach Neo4j at {settings.neo4j_uri}: {e}") from None
    return Neo4jStore(driver, settings.neo4j_database)


STORES = {"embedded": _embedded, "neo4j": _neo4j}


def open_store(settings, read_only: bool = False) -> GraphStore:
    store = STORES[settings.store](settings, read_only=read_only)
    store.timeout_ms = settings.query_timeout_ms
    if not settings.graph_memo:
        store.memoise = False
    return store

"""The one settings class: environment (IOPC_KG_*), `.env`, or arguments; documented in docs/settings.md."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IOPC_KG_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("./data"), description="Where the embedded graph, the search index, the ingest log and the server's SPARQL view live. Nothing is written elsewhere.")
    store: Literal["embedded", "neo4j"] = Field("embedded", description="Graph store: `embedded` (LadybugDB file under the data directory) or `neo4j`.")
    neo4j_uri: str | None = Field(None, validation_alias="NEO4J_URI", description="Bolt URI of the Neo4j server (`NEO4J_URI`), e.g. bolt://localhost:7687 or neo4j+s://xxx.databases.neo4j.io.")
    neo4j_user: str = Field("neo4j", validation_alias="NEO4J_USER", description="Neo4j user (`NEO4J_USER`).")
    neo4j_password: SecretStr = Field(SecretStr(""), validation_alias="NEO4J_PASSWORD", description="Neo4j password (`NEO4J_PASSWORD`).")
    neo4j_database: str = Field("neo4j", validation_alias="NEO4J_DATABASE", description="Neo4j database name (`NEO4J_DATABASE`).")
    base_iri: str = Field("https://w3id.org/iopc-kg/", description="Base of the IRIs in RDF exports: `{base}{kind}/{id}`, e.g. https://w3id.org/iopc-kg/forces/essex.")
    host: str = Field("127.0.0.1", description="Address the API server binds to.")
    port: int = Field(8000, description="Port the API server listens on.")
    api_key: SecretStr | None = Field(None, description="When set, ingest over HTTP is allowed with this key (header `X-API-Key`); otherwise every route is read-only.")
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed by CORS; none by default.")
    trusted_hosts: list[str] = Field(["127.0.0.1", "localhost"], description="Host names the server answers to (the `Host` header; `*.example.org` wildcards; `*` for any). The served `host` is added unless it is 0.0.0.0. Any other Host gets 400, which stops DNS rebinding; behind a proxy or on 0.0.0.0, list the names clients use. In the environment, a JSON list (see docs/settings.md).")
    query_timeout_ms: int = Field(5000, description="Time limit for Cypher and pattern queries, in milliseconds.")
    max_rows: int = Field(1000, description="Row cap for the read-only Cypher endpoint.")
    query_workers: int = Field(2, ge=1, le=32, description="Worker processes that run users' Cypher on the embedded store (the sandbox); more queries wait for a free one within their time limit.")
    query_memory_mb: int = Field(192, ge=64, description="How far a sandbox worker's address space may grow past the open store and the SPARQL view, in MiB; a query needing more is refused (400).")
    query_buffer_mb: int = Field(64, ge=64, description="Page cache of the embedded graph in each sandbox worker, in MiB; LadybugDB takes a query's working memory from it too, so a query needing more is refused (400).")
    sparql_endpoints: list[str] = Field(default_factory=list, description="Remote SPARQL endpoints a query may call with SERVICE (exact IRIs); none by default, so SERVICE is refused (400).")
    max_page_size: int = Field(100, description="Largest page size for lists and search.")
    search_timeout_ms: int = Field(3000, ge=100, description="Time limit of a search over HTTP or the command line (matching, wildcard expansion, spelling suggestions), in milliseconds, waiting for a thread included; past it the answer is 504 `query_timeout`. An export's rows, once ranked, are not timed.")
    search_max_expansions: int = Field(1000, ge=1, description="Most words one prefix, wildcard, fuzzy term or range of a search reaches in a field; past it the first words in alphabetical order are searched and the answer's notice says so.")
    search_suggest_words: int = Field(5, ge=0, description="Most unknown words of one query given spelling suggestions (did you mean); the answer's notice says when more were left out.")
    max_depth: int = Field(3, description="Deepest neighbourhood a client may ask for.")
    threads: int = Field(2, ge=1, le=64, description="Threads per server process that run requests (they are CPU-bound: few is faster).")
    search_threads: int = Field(1, ge=1, le=64, description="Threads per server process for searches, exports and the serialisation of answers (api/lanes.py): they wait for each other, never for the `threads` that answer /health and single records.")
    read_only: bool = Field(False, description="Open the embedded graph read-only: several server workers can then share it (`iopc-kg serve --workers N` sets it), and ingest over HTTP is refused.")
    max_nodes: int = Field(500, description="Most nodes a neighbourhood or path answer holds.")
    graph_buffer_mb: int = Field(1024, ge=64, description="Page cache of the embedded graph, in MiB, per process (LadybugDB's own default is 80% of the machine's memory).")
    graph_memo: bool = Field(True, description="Keep whole-graph answers (patterns, profiles) until the next write. Benchmarks turn it off to time the queries themselves.")
    max_body_bytes: int = Field(1_048_576, ge=1024, description="Largest request body for every route but `POST /ingest` (Cypher, SPARQL); larger gets 413.")
    max_ingest_bytes: int = Field(104_857_600, ge=1024, description="Largest request body for `POST /ingest` (each file is also capped at 20 MB); larger gets 413.")

    sources_file: Path | None = Field(None, description="The crawl sources file (what `iopc-kg crawl` fetches); default the bundled `ontology/sources.yaml`.")
    crawl_contact: str = Field("unset", description="Contact address the crawler's User-Agent gives site operators (an e-mail or a URL). Set it before crawling.")
    crawl_delay: float | None = Field(None, ge=0, description="Seconds between two requests to one host; default each source's `delay` (1 s). robots.txt's Crawl-delay wins when longer.")
    crawl_timeout: float = Field(30.0, gt=0, description="Seconds the crawler waits for a response before retrying.")
    crawl_retries: int = Field(3, ge=0, le=10, description="Retries after a timeout or a 5xx answer, with exponential backoff (`crawl_backoff`).")
    crawl_backoff: float = Field(2.0, ge=0, description="Seconds before the first retry after a timeout or a 5xx; doubled for each further retry.")
    crawl_max_bytes: int = Field(5_000_000, ge=10_000, description="Largest response the crawler accepts, in bytes; a larger page is refused and reported.")

    @property
    def crawl_dir(self) -> Path:
        """The crawl's state and its lock."""
        return self.data_dir / "crawl"

    @property
    def warc_dir(self) -> Path:
        """Where every fetched response is archived as WARC."""
        return self.data_dir / "warc"

    def allowed_hosts(self) -> list[str]:
        """`trusted_hosts` and the address served, for Starlette's TrustedHostMiddleware."""
        hosts = list(self.trusted_hosts)
        if self.host not in ("0.0.0.0", "::", "") and self.host not in hosts:
            hosts.append(self.host)
        return hosts

    @property
    def graph_path(self) -> Path:
        return self.data_dir / "graph.lbug"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def ingest_log(self) -> Path:
        return self.data_dir / "last-ingest.json"

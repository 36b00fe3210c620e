"""Health, statistics, and ingest over HTTP (only with the configured API key)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
import tempfile
from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.deps import ApiKeyDep, LocalKeyDep, ServicesDep, warm_in_background
from api.errors import ERROR_RESPONSES, ErrorBody
from ingest.journal import last_ingest
from ingest.load import ingest_paths
from ontology.exc import InvalidData, StoreUnavailable

router = APIRouter(responses=ERROR_RESPONSES)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_FILES = 500
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class Health(BaseModel):
    status: str = Field(description="`ok` when both the store and the index answer, else `unavailable`; `starting` (503) "
                                    "while a server that has just started opens them.")
    store: str
    index: str
    ready: bool = Field(False, description="Whether searches run at full speed: the search tables of the index's current commit are built (as `/health/ready`).")
    warm: bool = Field(False, description="Whether the similarity vectors are built too (after a start or an ingest they are built in the background; until then the first requests are slower).")


@router.get("/health", response_model=Health, tags=["service"], summary="Health",
            description="Whether the graph store and the search index answer, and how warm the search is. As cheap "
                        "whatever the size of the data (a constant query to the store, the index's current commit): "
                        "ask it as often as you like.",
            responses={503: {"model": Health, "description": "Something is unreachable, or the server is starting."}})
def health(services: ServicesDep):
    store_ok = index_ok = "ok"
    try:
        services.store.ping()
    except Exception as e:  # noqa: BLE001 - report, do not raise: this route exists to say what is down
        store_ok = f"unavailable: {type(e).__name__}"
    try:
        services.index.searcher()
    except Exception as e:  # noqa: BLE001
        index_ok = f"unavailable: {type(e).__name__}"
    ready = index_ok == "ok" and services.engine.is_ready()
    body = Health(status="ok" if store_ok == index_ok == "ok" else "unavailable", store=store_ok, index=index_ok,
                  ready=ready, warm=ready and services.engine.is_warm())
    return JSONResponse(body.model_dump(), status_code=200 if body.status == "ok" else 503)


class Ready(BaseModel):
    ready: bool = Field(description="Whether a search now finds the tables it needs (facets, field lengths) built for the index's current commit.")
    warm: bool = Field(description="Whether the similarity vectors are built too.")


@router.get("/health/ready", response_model=Ready, tags=["service"], summary="Readiness",
            description="200 once searches are served at full speed: the search tables of the index's current commit "
                        "are built or loaded from beside the index (in the background after a start or an ingest); "
                        "503 until then. For load balancers and orchestrators: send traffic after 200.",
            responses={503: {"model": Ready, "description": "Still building the search tables."}})
def ready(services: ServicesDep):
    ok = services.engine.is_ready()
    body = Ready(ready=ok, warm=ok and services.engine.is_warm())
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


class Stats(BaseModel):
    store: str
    counts: dict[str, int] = Field(description="Nodes of each kind in the graph.")
    index: dict[str, Any] = Field(description="Documents in the search index and its size on disk.")
    last_ingest: dict[str, Any] | None = Field(description="The summary of the last ingest into this data directory.")
    started: str
    limits: dict[str, int] = Field(description="The limits this service enforces: `max_page_size`, `max_depth`, `max_nodes`, `query_timeout_ms`.")


@router.get("/stats", response_model=Stats, tags=["service"], summary="Statistics",
            description="Counts by kind, the store in use, the index size, the last ingest and the limits in force.")
def stats(services: ServicesDep):
    return Stats(store=services.settings.store, counts=services.store.counts(),
                 index={"documents": services.index.doc_count(), "bytes": services.index.size_bytes()},
                 last_ingest=last_ingest(services.settings.ingest_log), started=services.started,
                 limits={k: getattr(services.settings, k) for k in ("max_page_size", "max_depth", "max_nodes", "query_timeout_ms")})


class IngestPaths(BaseModel):
    paths: list[str] = Field(min_length=1, max_length=10_000, description="Files or directories on the server's machine.")


@router.post("/ingest/paths", tags=["service"], summary="Ingest files of the server's machine (command line only)",
             dependencies=[LocalKeyDep], responses={403: {"model": ErrorBody}},
             description="What `iopc-kg ingest PATH` sends while `iopc-kg serve` holds the graph: the server reads the "
                         "files itself, so its answers include them at once. Only with the key the server wrote to its "
                         "data directory (`server.key`, readable by its owner): whoever can read the data directory.")
def ingest_paths_route(services: ServicesDep, request: IngestPaths) -> dict[str, Any]:
    if services.settings.read_only:
        raise StoreUnavailable("this server opened the graph read-only (several workers); serve with one worker to ingest through it")
    missing = [p for p in request.paths if not Path(p).exists()]
    if missing:
        raise InvalidData(f"no such file or directory on the server's machine: {missing[0]}", errors={"paths": missing[0]})
    from ontology.sources import load_sources

    summary = ingest_paths(request.paths, services.store, services.index, log_path=services.settings.ingest_log,
                           sources=load_sources(services.settings.sources_file))
    warm_in_background(services.engine)
    return summary.as_dict()


@router.post("/ingest", tags=["service"], summary="Ingest pages (API key required)", dependencies=[ApiKeyDep],
             responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 413: {"model": ErrorBody}},
             description="Upload pages (text, HTML or iopc-kg JSON/JSONL) to parse and write to the graph and the index. "
                         "Refused unless the service has an API key (`IOPC_KG_API_KEY`) and the request sends it in "
                         "`X-API-Key`. Files are stored under the data directory by a sanitised name only.")
def ingest(services: ServicesDep, files: Annotated[list[UploadFile], File(description="The pages.")]) -> dict[str, Any]:
    if services.settings.read_only:
        raise StoreUnavailable("this server opened the graph read-only (several workers); serve with one worker to ingest over HTTP")
    if len(files) > MAX_FILES:
        raise InvalidData(f"at most {MAX_FILES} files per request", errors={"files": str(len(files))})
    uploads = services.settings.uploads_dir
    uploads.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(dir=uploads))
    names: dict[Path, str] = {}
    try:
        for n, upload in enumerate(files):
            # Only the last path component, with anything but [A-Za-z0-9._-] replaced: a request
            # cannot name a place outside this directory. Each file in its own numbered directory,
            # under its own name: that name is what failures report and the graph stores (a page
            # uploaded again is the same Source, and no server path reaches an answer).
            name = _SAFE_NAME.sub("_", (upload.filename or f"page-{n}.txt").replace("\\", "/").rsplit("/", 1)[-1]).lstrip(".") or f"page-{n}.txt"
            data = upload.file.read(MAX_UPLOAD_BYTES + 1)
            if len(data) > MAX_UPLOAD_BYTES:
                raise InvalidData(f"{name} is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB", errors={"files": name})
            path = workdir / f"{n:04d}" / name
            path.parent.mkdir()
            path.write_bytes(data)
            names[path] = name
        summary = ingest_paths([workdir], services.store, services.index, log_path=services.settings.ingest_log,
                               names=names, logged_as=list(names.values()))
        warm_in_background(services.engine)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return summary.as_dict()

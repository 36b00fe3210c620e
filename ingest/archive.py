"""Web archives (WARC, ISO 28500) in and out: every response the crawler receives is kept as evidence.

The crawler writes a request and a response record for each exchange, and a `revisit` record
(profile server-not-modified) for each 304, into `.warc.gz` files under `{data dir}/warc/`; ingest
reads them back. A record is found again by its file and offset, which the case's source keeps,
so every fact in the graph leads back to the archived bytes it was read from.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from ontology.exc import InvalidSource

log = logging.getLogger(__name__)

WARC_SUFFIXES = (".warc", ".warc.gz")
# Headers that describe the transfer, not the payload: the body is stored de-chunked.
_TRANSFER = {"transfer-encoding", "content-length", "connection", "keep-alive"}


def is_warc(path: Path) -> bool:
    return path.name.lower().endswith(WARC_SUFFIXES)


def warc_date(when: datetime) -> str:
    """A WARC-Date (UTC, with microseconds: WARC 1.1 allows them and two fetches can share a second)."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Archived:
    """Where a record was written, and what a later revisit record refers to."""

    warc: str
    offset: int
    record_id: str
    url: str
    date: str
    digest: str


class ArchiveWriter:
    """Appends records to one new `.warc.gz` file per writer (a crawl process), opened on first use.

    A new file per process means a crash can only damage the tail of its own file, which the
    reader skips with a warning; records already written stay readable.
    """

    def __init__(self, directory: Path, prefix: str = "iopc-kg"):
        self.directory = Path(directory)
        self.prefix = prefix
        self.path: Path | None = None
        self._file = None
        self._writer: WARCWriter | None = None

    def _open(self) -> WARCWriter:
        if self._writer is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
            self.path = self.directory / f"{self.prefix}-{stamp}-{os.getpid()}.warc.gz"
            self._file = open(self.path, "ab")
            self._writer = WARCWriter(self._file, gzip=True, warc_version="1.1")
            self._write(self._writer.create_warcinfo_record(self.path.name, {
                "software": "iopc-kg", "format": "WARC File Format 1.1",
                "description": "Pages fetched by iopc-kg crawl (robots.txt obeyed, one request per second per host by default).",
            }))
        return self._writer

    def _write(self, record) -> int:
        offset = self._file.tell()
        self._writer.write_record(record)
        return offset

    def exchange(self, method: str, url: str, request_headers: dict[str, str], status: int, reason: str,
                 response_headers: list[tuple[str, str]], body: bytes, when: datetime,
                 revisit_of: Archived | None = None) -> Archived:
        """Write a response (or, with `revisit_of`, a revisit) record and its request; flushed to disk."""
        writer = self._open()
        date = warc_date(when)
        headers = [(k, v) for k, v in response_headers if k.lower() not in _TRANSFER]
        if revisit_of is None:
            headers.append(("Content-Length", str(len(body))))
        http = StatusAndHeaders(f"{status} {reason or ''}".strip(), headers, protocol="HTTP/1.1")
        if revisit_of is not None:
            record = writer.create_revisit_record(url, revisit_of.digest, revisit_of.url, revisit_of.date, http_headers=http,
                                                  warc_headers_dict={"WARC-Date": date, "WARC-Refers-To": revisit_of.record_id})
            digest = revisit_of.digest
        else:
            record = writer.create_warc_record(url, "response", payload=BytesIO(body), length=len(body), http_headers=http,
                                               warc_headers_dict={"WARC-Date": date})
            writer.ensure_digest(record, block=False, payload=True)
            digest = record.rec_headers.get_header("WARC-Payload-Digest")
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        offset = self._write(record)
        target = url.split("://", 1)[-1]
        path = "/" + target.split("/", 1)[1] if "/" in target else "/"
        request = writer.create_warc_record(
            url, "request", http_headers=StatusAndHeaders(f"{method} {path} HTTP/1.1", list(request_headers.items()), is_http_request=True),
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": record_id})
        self._write(request)
        self._file.flush()
        os.fsync(self._file.fileno())
        return Archived(str(self.path), offset, record_id, url, date, digest)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = self._writer = None


@dataclass
class ArchivedResponse:
    """One response or revisit record read back."""

    url: str
    date: str  # WARC-Date, ISO 8601 UTC
    kind: str  # response | revisit
    status: int
    content_type: str
    warc: str
    offset: int
    digest: str | None
    body: bytes | None = None  # None for a revisit: the content is that of the record it refers to
    refers_to_date: str | None = None

    @property
    def ref(self) -> str:
        """`file#offset`: where the record is, for a reader with the archive."""
        return f"{self.warc}#{self.offset}"


def read_archive(path: Path, max_bytes: int = 20_000_000) -> Iterator[ArchivedResponse]:
    """The response and revisit records of a WARC file (request and metadata records are skipped).

    A damaged tail (a crawl killed mid-write) ends the file with a warning; what came before is kept.
    """
    name = str(path)
    try:
        f = open(path, "rb")
    except OSError as e:
        raise InvalidSource(f"{name}: cannot read file: {e.strerror or e}") from None
    with f:
        it = ArchiveIterator(f)
        try:
            for record in it:
                kind = record.rec_type
                if kind not in ("response", "revisit") or record.http_headers is None:
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                status = int(record.http_headers.get_statuscode() or 0)
                body = None
                if kind == "response":
                    body = record.content_stream().read(max_bytes + 1)
                    if len(body) > max_bytes:
                        log.warning("%s: record at %s for %s is larger than %d bytes; skipped", name, it.get_record_offset(), url, max_bytes)
                        continue
                yield ArchivedResponse(
                    url=url, date=_iso(record.rec_headers.get_header("WARC-Date")), kind=kind, status=status,
                    content_type=(record.http_headers.get_header("Content-Type") or "").lower(), warc=name,
                    offset=it.get_record_offset(), digest=record.rec_headers.get_header("WARC-Payload-Digest"),
                    body=body, refers_to_date=_iso(record.rec_headers.get_header("WARC-Refers-To-Date")),
                )
        except (ArchiveLoadFailed, EOFError, OSError, ValueError) as e:
            log.warning("%s: the archive is damaged after offset %s (%s); the records before it are read", name, it.offset, e)


def read_at(path: str | Path, offset: int, max_bytes: int = 20_000_000) -> ArchivedResponse | None:
    """The response record at `offset` of a WARC file (what a 304 refers to), or None if it is not there."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            for record in ArchiveIterator(f):
                if record.rec_type != "response" or record.http_headers is None:
                    return None
                body = record.content_stream().read(max_bytes + 1)
                if len(body) > max_bytes:
                    return None
                return ArchivedResponse(
                    url=record.rec_headers.get_header("WARC-Target-URI"), date=_iso(record.rec_headers.get_header("WARC-Date")),
                    kind="response", status=int(record.http_headers.get_statuscode() or 0),
                    content_type=(record.http_headers.get_header("Content-Type") or "").lower(), warc=str(path), offset=offset,
                    digest=record.rec_headers.get_header("WARC-Payload-Digest"), body=body)
    except (OSError, ArchiveLoadFailed, EOFError, ValueError) as e:
        log.warning("%s: cannot read the record at offset %s (%s)", path, offset, e)
    return None


def _iso(value: str | None) -> str | None:
    """WARC dates as `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`, comparable as strings."""
    if not value:
        return None
    return value if value.endswith("Z") else value + "Z"


def digest(body: bytes) -> str:
    """A digest of a payload, for telling a changed page from an unchanged one."""
    return "sha256:" + hashlib.sha256(body).hexdigest()

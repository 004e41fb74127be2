"""Importing files through the API: `importUpload` queues an uploaded file, a worker imports
it (`domain.exchange.jobs`), and `importJob(id:)` / `importJobs` show how it went, with every
problem found. Admins only.
"""

import asyncio
import hashlib
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.file_uploads import Upload
from strawberry.types import Info

from domain.core.errors import DomainError
from domain.core.journal import Journal
from domain.core.sessions import Session
from domain.exchange import jobs
from domain.exchange.kinds import KINDS
from domain.exchange.models import STATUSES
from domain.exchange.models import ImportJob as ImportJobModel
from domain.exchange.models import ImportProblem as ImportProblemModel
from domain.exchange.reading import FORMATS
from schema.core import sql
from schema.core.compiled.planner import ROOT_READ, RootNode
from schema.core.connections import by_date, root_connection
from schema.core.enums import vocabulary_enum
from schema.core.mutations import INPUT, enum_value, payload_type, retry_key, run_mutation
from schema.core.node_queries import one_node
from schema.core.nodes import FromRow, TableNode, desc
from schema.core.pagination import Connection
from schema.core.relations import Page, ToOne
from schema.erp.employees import Employee

# Built from the domain's kinds: a kind added there can be uploaded the day it is added.
ImportKind = vocabulary_enum(
    "ImportKind", tuple(KINDS), "What an import file holds (docs/IMPORT.md lists the columns)."
)
ImportFormat = vocabulary_enum(
    "ImportFormat", FORMATS, "CSV with a header line, or JSON Lines (one object per line)."
)
ImportJobStatus = vocabulary_enum(
    "ImportJobStatus",
    STATUSES,
    "QUEUED, then RUNNING; then SUCCEEDED (written, or a dry run without problems), REJECTED "
    "(the file has problems: nothing was written) or FAILED (it could not run: see `error`).",
)


@strawberry.type(description="A problem found in an import file: where it is, what is wrong.")
class ImportProblem(FromRow):
    MODEL = ImportProblemModel
    line: int = desc("The file's line (in a CSV file, line 1 is the header).")
    column_name: str | None = strawberry.field(
        name="column", description="The column; null when the whole line is at fault."
    )
    value: str | None = desc("The value at fault, as the file has it (long ones cut short).")
    message: str = desc("What is wrong, for people.")


@strawberry.type(
    description="A file uploaded for import (`importUpload`) and its run: poll it until it "
    "is finished."
)
class ImportJob(TableNode):
    MODEL = ImportJobModel
    id: relay.NodeID[int]
    status: ImportJobStatus = desc("Where the job stands.")
    kind: ImportKind = desc("What the file holds.")
    source: str = desc("The system the records come from.")
    file_name: str = desc("The uploaded file's name.")
    format: ImportFormat = desc("How the file is read.")
    encoding: str = desc("The file's text encoding.")
    byte_count: int = desc("The file's size in bytes.")
    dry_run: bool = desc("Checked only: nothing is written.")
    skip_invalid: bool = desc("Lines with problems are left out and the rest imported.")
    read: int = desc("Records read so far (while running, updated about every second).")
    inserted: int = desc("Records new in this source, inserted.")
    updated: int = desc("Records known and changed, updated (their version moved).")
    unchanged: int = desc("Records known and equal, left alone.")
    invalid_lines: int = desc("Lines with at least one problem.")
    problem_count: int = desc("Problems found (`problems` lists them all).")
    written: bool = desc("Whether anything was written (all at once, or nothing).")
    error: str | None = desc("Why it was rejected or failed; null otherwise.")
    created_at: datetime = desc("When the file was uploaded.")
    started_at: datetime | None = desc("When its run started (the last one, if it ran again).")
    finished_at: datetime | None = desc("When it finished; the file itself is deleted then.")

    created_by: Employee | None = ToOne[Employee]("created_by_id").field("Who uploaded it.")
    problems: Connection[ImportProblem] | None = Page[ImportProblem](
        "job_id", sort=sql.ascending("line")
    ).field("Every problem found, by line (filled in when the job finishes).")


@strawberry.type
class ImportJobQueries:
    @strawberry.field(
        description="One import job by global ID (admins only; an error if it does not exist).",
        metadata={ROOT_READ: RootNode(ImportJob)},
    )
    async def import_job(
        self,
        info: Info,
        id: Annotated[relay.GlobalID, strawberry.argument(description="Import job ID.")],
    ) -> ImportJob | None:
        return await one_node(info, id, ImportJob)  # type: ignore[return-value]

    import_jobs = root_connection(
        ImportJob,
        description="Import jobs, newest first (admins only).",
        sort=by_date("created_at"),
    )


@strawberry.input(description="A file to import, and how to read it.")
class ImportUploadInput:
    file: Upload = strawberry.field(
        description="The file, as a part of a GraphQL multipart request whose place in "
        "`variables` is null (docs/IMPORT.md): CSV with a header line, or JSON Lines; at most "
        "BIZGRAPH_IMPORT_MAX_BYTES (50 MiB unless configured otherwise)."
    )
    kind: ImportKind = strawberry.field(description="What the file holds.")
    source: str = strawberry.field(
        description="The system the records come from (at most 40 characters): external ids "
        "are unique within it, and a file from it imported again updates its records."
    )
    format: ImportFormat | None = strawberry.field(
        default=None, description="How to read it; null: by the file name (.csv, .jsonl)."
    )
    encoding: str = strawberry.field(
        default=jobs.DEFAULT_ENCODING,
        description="The file's text encoding (utf-8, cp1252, latin-1, …).",
    )
    dry_run: bool = strawberry.field(
        default=False, description="Check every record and report, write nothing."
    )
    skip_invalid: bool = strawberry.field(
        default=False,
        description="Import the sound records and leave out every line with a problem (the "
        "job's problems list them); otherwise a file with problems writes nothing.",
    )
    idempotency_key: str | None = retry_key("queueing the file twice")


ImportUploadPayload = payload_type("importUpload", ImportJob, "importJob")


async def _content(upload: Any, limit: int) -> bytes | DomainError:
    """The uploaded bytes (one more than `limit` at most: enough to tell it is too large), or
    what to answer instead, once the viewer's permission has been checked."""
    if not (hasattr(upload, "read") and hasattr(upload, "filename")):
        return DomainError(
            "VALIDATION",
            "must be a file: send a GraphQL multipart request with the file in its place "
            "(docs/IMPORT.md)",
            "file",
        )
    content = await upload.read(limit + 1)
    return bytes(content)


async def _fingerprint(input: ImportUploadInput, content: bytes | DomainError) -> dict[str, Any]:
    """What a repeat under the same idempotency key must match: the options and the file's
    bytes (by their hash, taken off the event loop), not the upload's temporary file."""
    digest = None
    if isinstance(content, bytes):
        digest = (await asyncio.to_thread(hashlib.sha256, content)).hexdigest()
    return {
        "kind": enum_value(input.kind),
        "source": input.source,
        "format": enum_value(input.format),
        "encoding": input.encoding,
        "dry_run": input.dry_run,
        "skip_invalid": input.skip_invalid,
        "file": getattr(input.file, "filename", None),
        "sha256": digest,
    }


@strawberry.type
class ImportJobMutations:
    @strawberry.mutation(
        description="Queue a file for import (admins only): every record is checked with the "
        "rules the API applies, every problem reported, then the whole file written at once, "
        "or nothing (see `skipInvalid`). Returns the job at once, QUEUED: poll `importJob` "
        "for its progress and outcome. Imported records are upserted by their external id in "
        "the source, so the same file twice changes nothing."
    )
    async def import_upload(
        self, info: Info, input: Annotated[ImportUploadInput, INPUT]
    ) -> ImportUploadPayload:
        limit = info.context.state.settings.import_max_bytes
        content = await _content(input.file, limit)

        async def queue(input: ImportUploadInput, session: Session, journal: Journal) -> Any:
            if isinstance(content, DomainError):
                raise content
            return await jobs.create(
                session=session,
                journal=journal,
                kind=enum_value(input.kind),
                source=input.source,
                file_name=getattr(input.file, "filename", None),
                file_format=enum_value(input.format),
                encoding=input.encoding,
                dry_run=input.dry_run,
                skip_invalid=input.skip_invalid,
                content=content,
                max_bytes=limit,
            )

        return await run_mutation(
            info,
            input,
            queue,
            node=ImportJob,
            payload=ImportUploadPayload,
            entity="importJob",
            writes="ImportJob",
            request=None if input.idempotency_key is None else await _fingerprint(input, content),
        )

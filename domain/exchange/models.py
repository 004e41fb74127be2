"""Files uploaded for import and what became of them (schema `ops`).

`import_job` is one uploaded file and its run: how to read it, where it stands, its counts.
The file itself waits in `import_file` until the job has finished, then goes: it holds
personal data, and the problems and counts are what stays. A row of its own, so that reading
a job (polling it while it runs) never drags up to `BIZGRAPH_IMPORT_MAX_BYTES` along.
`import_problem` holds every problem the run found, not just the first few.
"""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from domain.core.model_base import Base, BigId, CreatedAt, fk, one_of
from domain.core.ops import SCHEMA
from domain.exchange.reading import FORMATS

# queued → running → succeeded (written, or a clean dry run) / rejected (the file had
# problems: nothing written) / failed (it could not run: a person reads `error`).
STATUSES = ("queued", "running", "succeeded", "rejected", "failed")
FINISHED = ("succeeded", "rejected", "failed")


class ImportJob(Base):
    __tablename__ = "import_job"
    __table_args__ = (
        one_of("status", "status", STATUSES),
        one_of("format", "format", FORMATS),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    kind: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(10))
    encoding: Mapped[str] = mapped_column(String(40))
    dry_run: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    skip_invalid: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    byte_count: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default="queued", server_default="queued")
    # Runs started: a run cut off (its worker stopped) is taken up again, a few times only.
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    read: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    inserted: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    updated: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    unchanged: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    invalid_lines: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    problem_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    written: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = fk("erp.employee.id", nullable=True)
    created_at: Mapped[CreatedAt] = mapped_column(index=True)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class ImportFile(Base):
    """The uploaded bytes of a job that has not finished yet."""

    __tablename__ = "import_file"
    __table_args__ = {"schema": SCHEMA}

    job_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("ops.import_job.id", ondelete="CASCADE"), primary_key=True
    )
    content: Mapped[bytes] = mapped_column(LargeBinary)


class ImportProblem(Base):
    """Why a value, or a whole line (`column_name` null), of an import file was refused."""

    __tablename__ = "import_problem"
    __table_args__ = (
        # A job's problems are read a page at a time, by line.
        Index("ix_import_problem_job_line", "job_id", "line", "id"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    job_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("ops.import_job.id", ondelete="CASCADE")
    )
    line: Mapped[int] = mapped_column()
    column_name: Mapped[str | None] = mapped_column(Text)
    value: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)

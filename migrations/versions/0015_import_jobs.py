"""Import jobs: files uploaded through the API, imported by a worker, with every problem kept.

`ops.import_job` is one uploaded file and its run (status, counts, error); `ops.import_file`
holds the file until the run has finished, then it is deleted (personal data); every problem
the run found goes to `ops.import_problem`.

Revision ID: 0015_import_jobs
Revises: 0014_imported_history
Create Date: 2026-12-06 14:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_import_jobs"
down_revision: str | None = "0014_imported_history"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _count(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), server_default=sa.text("0"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "import_job",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("encoding", sa.String(length=40), nullable=False),
        sa.Column("dry_run", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("skip_invalid", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("byte_count", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="queued", nullable=False),
        _count("attempts"),
        _count("read"),
        _count("inserted"),
        _count("updated"),
        _count("unchanged"),
        _count("invalid_lines"),
        _count("problem_count"),
        sa.Column("written", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'rejected', 'failed')",
            name=op.f("ck_import_job_status"),
        ),
        sa.CheckConstraint("format IN ('csv', 'jsonl')", name=op.f("ck_import_job_format")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["erp.employee.id"],
            name=op.f("fk_import_job_created_by_id_employee"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_job")),
        schema="ops",
    )
    op.create_index(
        op.f("ix_ops_import_job_created_by_id"), "import_job", ["created_by_id"], schema="ops"
    )
    op.create_index(
        op.f("ix_ops_import_job_created_at"), "import_job", ["created_at"], schema="ops"
    )
    op.create_table(
        "import_file",
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["ops.import_job.id"],
            name=op.f("fk_import_file_job_id_import_job"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_import_file")),
        schema="ops",
    )
    op.create_table(
        "import_problem",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("column_name", sa.Text(), nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["ops.import_job.id"],
            name=op.f("fk_import_problem_job_id_import_job"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_problem")),
        schema="ops",
    )
    op.create_index(
        "ix_import_problem_job_line", "import_problem", ["job_id", "line", "id"], schema="ops"
    )


def downgrade() -> None:
    op.drop_index("ix_import_problem_job_line", table_name="import_problem", schema="ops")
    op.drop_table("import_problem", schema="ops")
    op.drop_table("import_file", schema="ops")
    op.drop_index(op.f("ix_ops_import_job_created_at"), table_name="import_job", schema="ops")
    op.drop_index(op.f("ix_ops_import_job_created_by_id"), table_name="import_job", schema="ops")
    op.drop_table("import_job", schema="ops")

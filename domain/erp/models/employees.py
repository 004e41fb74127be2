"""Departments and employees (schema `erp`). Salaries are sensitive: see the permission table."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column

from domain.core.model_base import (
    ArchivedAt,
    Base,
    BigId,
    CreatedAt,
    ExternalId,
    ExternalSource,
    external_key,
    fk,
    one_of,
    trigram_index,
)

SCHEMA = "erp"
EMPLOYEE_STATUSES = ("active", "on_leave", "terminated")


class Department(Base):
    __tablename__ = "department"
    __table_args__ = {"schema": SCHEMA}

    id: Mapped[BigId]
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    parent_id: Mapped[int | None] = fk("erp.department.id", ondelete="SET NULL")
    created_at: Mapped[CreatedAt]
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    archived_at: Mapped[ArchivedAt]


class Employee(Base):
    __tablename__ = "employee"
    __table_args__ = (
        external_key("employee"),
        trigram_index("employee", "email"),
        one_of("status", "status", EMPLOYEE_STATUSES),
        CheckConstraint("salary >= 0", name="salary_non_negative"),
        CheckConstraint("manager_id IS NULL OR manager_id <> id", name="not_own_manager"),
        trigram_index("employee", "name"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    department_id: Mapped[int | None] = fk("erp.department.id", ondelete="SET NULL")
    manager_id: Mapped[int | None] = fk("erp.employee.id", ondelete="SET NULL")
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    title: Mapped[str] = mapped_column(String(100))
    hire_date: Mapped[date] = mapped_column(Date, index=True)
    salary: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    status: Mapped[str] = mapped_column(
        String(20), default="active", server_default="active", index=True
    )
    terminated_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[CreatedAt]
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    external_source: Mapped[ExternalSource]
    external_id: Mapped[ExternalId]

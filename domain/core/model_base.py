"""Declarative base, naming conventions and column helpers shared by every context."""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, mapped_column

# A fixed naming convention makes constraint names predictable, so migrations can
# refer to them and autogenerate does not see spurious differences.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SCHEMAS = ("crm", "erp", "finance", "production", "analytics", "ops")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # Every Decimal column is money unless it says otherwise; every instant is timestamptz.
    type_annotation_map = {
        Decimal: Numeric(14, 2),
        datetime: DateTime(timezone=True),
        int: Integer,
    }


BigId = Annotated[int, mapped_column(BigInteger, Identity(always=False), primary_key=True)]
CreatedAt = Annotated[datetime, mapped_column(server_default=func.now())]
# When the record was archived: left out of every list, kept for what refers to it
# (domain.flows.archiving); null while in use.
ArchivedAt = Annotated[datetime | None, mapped_column(nullable=True)]
# Where an imported record came from (domain.exchange): the source system and its id there.
ExternalSource = Annotated[str | None, mapped_column(String(40), nullable=True)]
ExternalId = Annotated[str | None, mapped_column(String(100), nullable=True)]


def external_key(table: str) -> UniqueConstraint:
    """Records imported from another system are known by (source system, its id) there: one
    record per pair, so importing the same file again updates instead of duplicating."""
    return UniqueConstraint("external_source", "external_id", name=f"uq_{table}_external")


def fk(target: str, *, ondelete: str | None = None, nullable: bool | None = None) -> Any:
    """An indexed bigint foreign key (every foreign key gets an index)."""
    return mapped_column(
        BigInteger, ForeignKey(target, ondelete=ondelete), index=True, nullable=nullable
    )


def one_of(name: str, column: str, values: Iterable[str]) -> CheckConstraint:
    """A check constraint limiting `column` to the given status vocabulary."""
    quoted = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name)


def trigram_index(table: str, column: str) -> Index:
    """A GIN trigram index, so `ILIKE '%text%'` searches stay fast on large tables."""
    return Index(
        f"ix_{table}_{column}_trgm",
        column,
        postgresql_using="gin",
        postgresql_ops={column: "gin_trgm_ops"},
    )

"""What each kind of record an import file may hold looks like, and how it is written.

A kind names its columns (the file's header, snake_case), checks a record with the same
rules every other way of writing that record uses (`domain.crm.customers.checked`, …), and
says in SQL how checked records, staged in a temporary table, find what they refer to and
are upserted by their `external_id` within the import's source system: a record met again
changes only if a value differs, so importing the same file twice changes nothing.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.core.errors import Problems
from domain.crm import contacts, customers

EXTERNAL_ID_CHARS = 100


@dataclass(frozen=True)
class Reference:
    """A column naming another record; `missing` is SQL over the staging table `s` that
    finds the lines whose reference has no match (parameter $1: the source system)."""

    column: str
    missing: str
    message: str


@dataclass(frozen=True)
class Kind:
    name: str
    table: str  # the domain table, schema-qualified
    # Staging columns after `line` and `external_id`, with their SQL types.
    staged: tuple[tuple[str, str], ...]
    check: Callable[[Problems, Mapping[str, Any]], dict[str, Any]]
    references: tuple[Reference, ...]
    # INSERT … SELECT … FROM staging s … ON CONFLICT …: $1 the source system; RETURNING
    # one row per written record, `inserted` true for a new one.
    upsert: str
    # SELECT of every record in the file's columns, in their order, by external id; $1 the
    # source system, or null for every record (one without an external id shows its key).
    export: str
    example: str  # a header line, for the docs and error messages

    @property
    def columns(self) -> tuple[str, ...]:
        return ("external_id", *(name for name, _ in self.staged))


def _decimal(problems: Problems, field: str, value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        problems.add(field, f"{value!r} is not a number")
        return None


def _customer(problems: Problems, record: Mapping[str, Any]) -> dict[str, Any]:
    given: dict[str, Any] = {"name": record.get("name")}
    for column in ("email", "phone", "country", "industry"):
        given[column] = record.get(column)
    for column in ("kind", "tier", "status"):
        value = record.get(column)
        given[column] = value.strip().lower() if isinstance(value, str) else value
    if record.get("currency") is not None:
        given["currency"] = str(record["currency"]).strip().upper()
    given["credit_limit"] = _decimal(problems, "creditLimit", record.get("credit_limit"))
    values = customers.checked(problems, given, creating=True)
    manager = record.get("account_manager_email")
    values["account_manager_email"] = manager.strip().lower() if isinstance(manager, str) else None
    return values


CUSTOMERS = Kind(
    name="customers",
    table="crm.customer",
    staged=(
        ("name", "text"),
        ("email", "text"),
        ("phone", "text"),
        ("country", "text"),
        ("industry", "text"),
        ("currency", "text"),
        ("kind", "text"),
        ("tier", "text"),
        ("status", "text"),
        ("credit_limit", "numeric"),
        ("account_manager_email", "text"),
    ),
    check=_customer,
    references=(
        Reference(
            "account_manager_email",
            "SELECT s.line, s.account_manager_email FROM staging s "
            "WHERE s.account_manager_email IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM erp.employee e WHERE lower(e.email) = s.account_manager_email)",
            "no employee has this email",
        ),
    ),
    upsert="""
WITH rows AS (
  SELECT s.*, e.id AS account_manager_id,
         nextval(pg_get_serial_sequence('crm.customer', 'id')) AS new_id
  FROM staging s
  LEFT JOIN erp.employee e ON lower(e.email) = s.account_manager_email
)
INSERT INTO crm.customer AS c (
  id, code, name, email, phone, country, industry, currency, kind, tier, status,
  credit_limit, account_manager_id, external_source, external_id)
SELECT new_id, 'C' || lpad(new_id::text, 6, '0'), name, email, phone, country, industry,
       coalesce(currency, 'EUR'), coalesce(kind, 'company'), coalesce(tier, 'bronze'),
       coalesce(status, 'lead'), credit_limit, account_manager_id, $1, external_id
FROM rows
ON CONFLICT (external_source, external_id) DO UPDATE SET
  name = excluded.name, email = excluded.email, phone = excluded.phone,
  country = excluded.country, industry = excluded.industry, currency = excluded.currency,
  kind = excluded.kind, tier = excluded.tier, status = excluded.status,
  credit_limit = excluded.credit_limit, account_manager_id = excluded.account_manager_id,
  version = c.version + 1, updated_at = now()
WHERE (c.name, c.email, c.phone, c.country, c.industry, c.currency, c.kind, c.tier, c.status,
       c.credit_limit, c.account_manager_id)
  IS DISTINCT FROM
      (excluded.name, excluded.email, excluded.phone, excluded.country, excluded.industry,
       excluded.currency, excluded.kind, excluded.tier, excluded.status, excluded.credit_limit,
       excluded.account_manager_id)
RETURNING (xmax = 0) AS inserted""",
    export="""
SELECT coalesce(c.external_id, c.code) AS external_id, c.name, c.email, c.phone, c.country,
       c.industry, c.currency, c.kind, c.tier, c.status, c.credit_limit,
       lower(e.email) AS account_manager_email
FROM crm.customer c
LEFT JOIN erp.employee e ON e.id = c.account_manager_id
WHERE c.archived_at IS NULL AND ($1::text IS NULL OR c.external_source = $1)
ORDER BY 1""",
    example="external_id,name,email,phone,country,industry,currency,kind,tier,status,"
    "credit_limit,account_manager_email",
)


def _contact(problems: Problems, record: Mapping[str, Any]) -> dict[str, Any]:
    given = {name: record.get(name) for name in ("first_name", "last_name", "email", "phone")}
    given["title"] = record.get("title")
    given["is_primary"] = False
    values = contacts.checked(problems, given)
    values.pop("is_primary", None)
    customer = record.get("customer_external_id")
    if customer is None or not str(customer).strip():
        problems.add("customerExternalId", "must not be empty")
    values["customer_external_id"] = str(customer).strip() if customer is not None else None
    return values


CONTACTS = Kind(
    name="contacts",
    table="crm.contact",
    staged=(
        ("customer_external_id", "text"),
        ("first_name", "text"),
        ("last_name", "text"),
        ("email", "text"),
        ("phone", "text"),
        ("title", "text"),
    ),
    check=_contact,
    references=(
        Reference(
            "customer_external_id",
            "SELECT s.line, s.customer_external_id FROM staging s WHERE NOT EXISTS "
            "(SELECT 1 FROM crm.customer c WHERE c.external_source = $1 "
            "AND c.external_id = s.customer_external_id)",
            "no customer of this source has this external_id (import customers first)",
        ),
    ),
    upsert="""
INSERT INTO crm.contact AS t (
  customer_id, first_name, last_name, email, phone, title, external_source, external_id)
SELECT c.id, s.first_name, s.last_name, s.email, s.phone, s.title, $1, s.external_id
FROM staging s
JOIN crm.customer c ON c.external_source = $1 AND c.external_id = s.customer_external_id
ON CONFLICT (external_source, external_id) DO UPDATE SET
  customer_id = excluded.customer_id, first_name = excluded.first_name,
  last_name = excluded.last_name, email = excluded.email, phone = excluded.phone,
  title = excluded.title, version = t.version + 1
WHERE (t.customer_id, t.first_name, t.last_name, t.email, t.phone, t.title)
  IS DISTINCT FROM
      (excluded.customer_id, excluded.first_name, excluded.last_name, excluded.email,
       excluded.phone, excluded.title)
RETURNING (xmax = 0) AS inserted""",
    export="""
SELECT coalesce(p.external_id, 'P' || p.id) AS external_id,
       coalesce(c.external_id, c.code) AS customer_external_id,
       p.first_name, p.last_name, p.email, p.phone, p.title
FROM crm.contact p
JOIN crm.customer c ON c.id = p.customer_id
WHERE p.archived_at IS NULL AND c.archived_at IS NULL
  AND ($1::text IS NULL OR p.external_source = $1)
ORDER BY 1""",
    example="external_id,customer_external_id,first_name,last_name,email,phone,title",
)

KINDS: dict[str, Kind] = {kind.name: kind for kind in (CUSTOMERS, CONTACTS)}

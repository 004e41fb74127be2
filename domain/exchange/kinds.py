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

from domain.core import validation
from domain.core.errors import Problems
from domain.crm import contacts, customers
from domain.erp import stock_items, suppliers

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


def _whole(problems: Problems, field: str, value: Any, default: int) -> int | None:
    if value is None or value == "":
        return default
    try:
        return int(str(value).strip())
    except ValueError:
        problems.add(field, f"{value!r} is not a whole number")
        return None


def _supplier(problems: Problems, record: Mapping[str, Any]) -> dict[str, Any]:
    given = {name: record.get(name) for name in ("name", "email", "country")}
    given["lead_time_days"] = _whole(problems, "leadTimeDays", record.get("lead_time_days"), 14)
    values = suppliers.checked(problems, given)
    values["code"] = validation.text(
        problems, "code", record.get("code"), max_length=20, required=False
    )
    return values


# A code, or a SKU, another record already has: the record would take it over.
_TAKEN = (
    "SELECT s.line, s.{column} FROM staging s JOIN {table} t ON t.{column} = s.{column} "
    "WHERE (t.external_source, t.external_id) IS DISTINCT FROM ($1::text, s.external_id)"
)

# A record met again with another value where none may change.
_CHANGED = (
    "SELECT s.line, s.{column} FROM staging s JOIN {table} t "
    "ON t.external_source = $1 AND t.external_id = s.external_id WHERE t.{column} <> s.{column}"
)

SUPPLIERS = Kind(
    name="suppliers",
    table="erp.supplier",
    staged=(
        ("code", "text"),
        ("name", "text"),
        ("email", "text"),
        ("country", "text"),
        ("lead_time_days", "int"),
    ),
    check=_supplier,
    references=(
        Reference(
            "code",
            _TAKEN.format(column="code", table="erp.supplier") + " AND s.code IS NOT NULL",
            "another supplier has this code",
        ),
        Reference(
            "code",
            _CHANGED.format(table="erp.supplier", column="code") + " AND s.code IS NOT NULL",
            "a supplier's code never changes (purchase orders name it)",
        ),
    ),
    upsert="""
WITH rows AS (
  SELECT s.*, nextval(pg_get_serial_sequence('erp.supplier', 'id')) AS new_id FROM staging s
)
INSERT INTO erp.supplier AS t (
  id, code, name, email, country, lead_time_days, external_source, external_id)
SELECT new_id, coalesce(code, 'S' || lpad(new_id::text, 5, '0')), name, email, country,
       lead_time_days, $1, external_id
FROM rows
ON CONFLICT (external_source, external_id) DO UPDATE SET
  name = excluded.name, email = excluded.email, country = excluded.country,
  lead_time_days = excluded.lead_time_days, version = t.version + 1
WHERE (t.name, t.email, t.country, t.lead_time_days)
  IS DISTINCT FROM (excluded.name, excluded.email, excluded.country, excluded.lead_time_days)
RETURNING (xmax = 0) AS inserted""",
    export="""
SELECT coalesce(external_id, code) AS external_id, code, name, email, country, lead_time_days
FROM erp.supplier
WHERE archived_at IS NULL AND ($1::text IS NULL OR external_source = $1)
ORDER BY 1""",
    example="external_id,code,name,email,country,lead_time_days",
)


def _stock_item(problems: Problems, record: Mapping[str, Any]) -> dict[str, Any]:
    given: dict[str, Any] = {"name": record.get("name"), "description": record.get("description")}
    category = record.get("category")
    given["category"] = category.strip().lower() if isinstance(category, str) else category
    given["unit_price"] = _decimal(problems, "unitPrice", record.get("unit_price"))
    given["unit_cost"] = _decimal(problems, "unitCost", record.get("unit_cost"))
    given["reorder_point"] = _whole(problems, "reorderPoint", record.get("reorder_point"), 0)
    given["pack_size"] = _whole(problems, "packSize", record.get("pack_size"), 1)
    values = stock_items.checked(problems, given)
    values["sku"] = validation.text(problems, "sku", record.get("sku"), max_length=40)
    values["currency"] = validation.currency(
        problems, "currency", str(record.get("currency") or "EUR").strip().upper()
    )
    supplier = record.get("supplier_external_id")
    values["supplier_external_id"] = str(supplier).strip() if supplier not in (None, "") else None
    return values


STOCK_ITEMS = Kind(
    name="stock_items",
    table="erp.stock_item",
    staged=(
        ("sku", "text"),
        ("name", "text"),
        ("description", "text"),
        ("category", "text"),
        ("unit_price", "numeric"),
        ("unit_cost", "numeric"),
        ("currency", "text"),
        ("reorder_point", "int"),
        ("pack_size", "int"),
        ("supplier_external_id", "text"),
    ),
    check=_stock_item,
    references=(
        Reference(
            "sku", _TAKEN.format(column="sku", table="erp.stock_item"), "another item has this SKU"
        ),
        Reference(
            "sku",
            _CHANGED.format(table="erp.stock_item", column="sku"),
            "an item's SKU never changes (orders name it)",
        ),
        Reference(
            "currency",
            _CHANGED.format(table="erp.stock_item", column="currency"),
            "an item's currency never changes (orders are priced in it)",
        ),
        Reference(
            "supplier_external_id",
            "SELECT s.line, s.supplier_external_id FROM staging s "
            "WHERE s.supplier_external_id IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM erp.supplier p WHERE p.external_source = $1 "
            "AND p.external_id = s.supplier_external_id)",
            "no supplier of this source has this external_id (import suppliers first)",
        ),
    ),
    upsert="""
INSERT INTO erp.stock_item AS t (
  sku, name, description, category, unit_price, unit_cost, currency, reorder_point, pack_size,
  supplier_id, external_source, external_id)
SELECT s.sku, s.name, s.description, s.category, s.unit_price, s.unit_cost, s.currency,
       s.reorder_point, s.pack_size, p.id, $1, s.external_id
FROM staging s
LEFT JOIN erp.supplier p ON p.external_source = $1 AND p.external_id = s.supplier_external_id
ON CONFLICT (external_source, external_id) DO UPDATE SET
  name = excluded.name, description = excluded.description, category = excluded.category,
  unit_price = excluded.unit_price, unit_cost = excluded.unit_cost,
  reorder_point = excluded.reorder_point, pack_size = excluded.pack_size,
  supplier_id = excluded.supplier_id, version = t.version + 1
WHERE (t.name, t.description, t.category, t.unit_price, t.unit_cost, t.reorder_point,
       t.pack_size, t.supplier_id)
  IS DISTINCT FROM
      (excluded.name, excluded.description, excluded.category, excluded.unit_price,
       excluded.unit_cost, excluded.reorder_point, excluded.pack_size, excluded.supplier_id)
RETURNING (xmax = 0) AS inserted""",
    export="""
SELECT coalesce(i.external_id, i.sku) AS external_id, i.sku, i.name, i.description, i.category,
       i.unit_price, i.unit_cost, i.currency, i.reorder_point, i.pack_size,
       coalesce(p.external_id, p.code) AS supplier_external_id
FROM erp.stock_item i
LEFT JOIN erp.supplier p ON p.id = i.supplier_id
WHERE i.archived_at IS NULL AND ($1::text IS NULL OR i.external_source = $1)
ORDER BY 1""",
    example="external_id,sku,name,category,unit_price,unit_cost,currency,reorder_point,"
    "pack_size,supplier_external_id",
)

KINDS: dict[str, Kind] = {kind.name: kind for kind in (CUSTOMERS, CONTACTS, SUPPLIERS, STOCK_ITEMS)}

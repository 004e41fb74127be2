"""Who a company deals with and who works there: customers, their contacts, suppliers and
employees (see `domain.exchange.kinds.base` for what a kind is)."""

from collections.abc import Mapping
from typing import Any

from domain.core import validation
from domain.core.errors import Problems
from domain.crm import contacts, customers
from domain.erp import employees, suppliers
from domain.exchange.kinds.base import (
    Kind,
    Reference,
    day_value,
    decimal_value,
    instant_value,
    key_value,
    lowered,
    taken,
    unchangeable,
    whole_value,
)


def _customer(problems: Problems, record: Mapping[str, Any]) -> dict[str, Any]:
    given: dict[str, Any] = {"name": record.get("name")}
    for column in ("email", "phone", "country", "industry"):
        given[column] = record.get(column)
    for column in ("kind", "tier", "status"):
        value = record.get(column)
        given[column] = value.strip().lower() if isinstance(value, str) else value
    if record.get("currency") is not None:
        given["currency"] = str(record["currency"]).strip().upper()
    given["credit_limit"] = decimal_value(problems, "creditLimit", record.get("credit_limit"))
    values = customers.checked(problems, given, creating=True)
    manager = record.get("account_manager_email")
    values["account_manager_email"] = manager.strip().lower() if isinstance(manager, str) else None
    return values


CUSTOMERS = Kind(
    name="customers",
    feeds=("metrics", "customers"),
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
         nextval((SELECT pg_get_serial_sequence('crm.customer', 'id'))::regclass) AS new_id
  FROM staging s
  LEFT JOIN erp.employee e ON lower(e.email) = s.account_manager_email
  ORDER BY s.line
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
RETURNING c.id, (xmax = 0) AS inserted""",
    export="""
SELECT coalesce(c.external_id, c.code) AS external_id, c.name, c.email, c.phone, c.country,
       c.industry, c.currency, c.kind, c.tier, c.status, c.credit_limit,
       lower(e.email) AS account_manager_email
FROM crm.customer c
LEFT JOIN erp.employee e ON e.id = c.account_manager_id
WHERE c.archived_at IS NULL AND ($1::text IS NULL OR c.external_source = $1)""",
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
RETURNING t.id, (xmax = 0) AS inserted""",
    export="""
SELECT coalesce(p.external_id, 'P' || p.id) AS external_id,
       coalesce(c.external_id, c.code) AS customer_external_id,
       p.first_name, p.last_name, p.email, p.phone, p.title
FROM crm.contact p
JOIN crm.customer c ON c.id = p.customer_id
WHERE p.archived_at IS NULL AND c.archived_at IS NULL
  AND ($1::text IS NULL OR p.external_source = $1)""",
    example="external_id,customer_external_id,first_name,last_name,email,phone,title",
)


def _supplier(problems: Problems, record: Mapping[str, Any]) -> dict[str, Any]:
    given = {name: record.get(name) for name in ("name", "email", "country")}
    given["lead_time_days"] = whole_value(
        problems, "leadTimeDays", record.get("lead_time_days"), 14
    )
    values = suppliers.checked(problems, given)
    values["code"] = validation.text(
        problems, "code", record.get("code"), max_length=20, required=False
    )
    return values


SUPPLIERS = Kind(
    name="suppliers",
    kept_if_empty=("code",),
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
        taken("code", "erp.supplier", "another supplier has this code"),
        unchangeable(
            "code", "erp.supplier", "a supplier's code never changes (purchase orders name it)"
        ),
    ),
    upsert="""
WITH rows AS (
  SELECT s.*, nextval((SELECT pg_get_serial_sequence('erp.supplier', 'id'))::regclass) AS new_id
  FROM staging s
  ORDER BY s.line
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
RETURNING t.id, (xmax = 0) AS inserted""",
    export="""
SELECT coalesce(external_id, code) AS external_id, code, name, email, country, lead_time_days
FROM erp.supplier
WHERE archived_at IS NULL AND ($1::text IS NULL OR external_source = $1)""",
    example="external_id,code,name,email,country,lead_time_days",
)


def _employee(problems: Problems, record: Mapping[str, Any]) -> dict[str, Any]:
    given: dict[str, Any] = {name: record.get(name) for name in ("name", "title", "email")}
    given["hire_date"] = day_value(problems, "hireDate", record.get("hire_date"), required=True)
    given["salary"] = decimal_value(problems, "salary", record.get("salary"))
    given["status"] = lowered(record.get("status")) or "active"
    values = employees.checked(problems, given, creating=True)
    terminated_at = instant_value(
        problems, "terminatedAt", record.get("terminated_at"), required=False
    )
    if values.get("status") == "terminated" and terminated_at is None:
        problems.add("terminatedAt", "must not be empty when the status is terminated")
    values["terminated_at"] = terminated_at if values.get("status") == "terminated" else None
    values["department"] = key_value(
        problems, "department", record.get("department"), required=False
    )
    manager = key_value(problems, "managerEmail", record.get("manager_email"), required=False)
    values["manager_email"] = manager.lower() if manager else None
    if manager is not None and manager.lower() == values.get("email"):
        problems.add("managerEmail", "an employee does not manage themselves")
    return values


async def _employee_managers(connection: Any, source: str) -> None:
    await connection.execute(
        """
UPDATE erp.employee e SET manager_id = m.id, version = e.version + 1
FROM staging s
LEFT JOIN erp.employee m ON m.email = s.manager_email
WHERE e.external_source = $1 AND e.external_id = s.external_id
  AND e.manager_id IS DISTINCT FROM m.id""",
        source,
    )


EMPLOYEES = Kind(
    name="employees",
    table="erp.employee",
    staged=(
        ("email", "text"),
        ("name", "text"),
        ("title", "text"),
        ("department", "text"),
        ("manager_email", "text"),
        ("hire_date", "date"),
        ("salary", "numeric"),
        ("status", "text"),
        ("terminated_at", "timestamptz"),
    ),
    check=_employee,
    references=(
        taken("email", "erp.employee", "another employee has this email (it is their login)"),
        Reference(
            "department",
            "SELECT s.line, s.department FROM staging s WHERE s.department IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM erp.department d "
            "WHERE d.name = s.department AND d.archived_at IS NULL)",
            "no department has this name (create it first: departmentCreate)",
        ),
        Reference(
            "manager_email",
            "SELECT s.line, s.manager_email FROM staging s WHERE s.manager_email IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM erp.employee e WHERE e.email = s.manager_email) "
            "AND NOT EXISTS (SELECT 1 FROM staging o WHERE o.email = s.manager_email)",
            "no employee, here or in the file, has this email",
        ),
    ),
    # Managers are set afterwards (`_employee_managers`): a manager may come later in the file.
    upsert="""
WITH rows AS (
  SELECT s.*, d.id AS department_id FROM staging s
  LEFT JOIN erp.department d ON d.name = s.department
)
INSERT INTO erp.employee AS t (
  email, name, title, department_id, hire_date, salary, status, terminated_at,
  external_source, external_id)
SELECT email, name, title, department_id, hire_date, salary, status, terminated_at, $1,
       external_id
FROM rows
ON CONFLICT (external_source, external_id) DO UPDATE SET
  email = excluded.email, name = excluded.name, title = excluded.title,
  department_id = excluded.department_id, hire_date = excluded.hire_date,
  salary = excluded.salary, status = excluded.status, terminated_at = excluded.terminated_at,
  version = t.version + 1
WHERE (t.email, t.name, t.title, t.department_id, t.hire_date, t.salary, t.status,
       t.terminated_at)
  IS DISTINCT FROM
      (excluded.email, excluded.name, excluded.title, excluded.department_id,
       excluded.hire_date, excluded.salary, excluded.status, excluded.terminated_at)
RETURNING t.id, (xmax = 0) AS inserted""",
    export="""
SELECT coalesce(e.external_id, e.email) AS external_id, e.email, e.name, e.title,
       d.name AS department, m.email AS manager_email, e.hire_date, e.salary, e.status,
       e.terminated_at
FROM erp.employee e
LEFT JOIN erp.department d ON d.id = e.department_id
LEFT JOIN erp.employee m ON m.id = e.manager_id
WHERE $1::text IS NULL OR e.external_source = $1""",
    example="external_id,email,name,title,department,manager_email,hire_date,salary,status,"
    "terminated_at",
    after=_employee_managers,
)

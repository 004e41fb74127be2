"""The permission table: admin may do everything, restricted fields stay closed to others."""

import pytest

from domain.core.access import ROLES, Viewer
from domain.core.errors import DomainError, Rejected
from domain.core.permissions import (
    ASSIGNMENTS,
    FACT_FIELDS,
    FACTS,
    PERMISSIONS,
    RESTRICTED_FIELDS,
    RESTRICTED_WRITES,
    can_read,
    can_read_field,
    can_write,
    can_write_field,
    ensure_can_write,
)


def viewer(*roles: str) -> Viewer:
    return Viewer(employee_id=1, email="someone@example.com", roles=frozenset(roles))


@pytest.mark.parametrize("type_name", sorted(PERMISSIONS))
def test_admin_reads_every_type(type_name: str) -> None:
    assert can_read(viewer("admin"), type_name)


def test_a_viewer_without_roles_may_do_nothing() -> None:
    nobody = viewer()
    assert not any(can_read(nobody, name) or can_write(nobody, name) for name in PERMISSIONS)


def test_writers_can_read_what_they_write() -> None:
    for name, access in PERMISSIONS.items():
        assert access.write <= access.read, name


def test_salary_is_for_hr_and_admin_only() -> None:
    readers = {role for role in ROLES if can_read_field(viewer(role), "Employee", "salary")}
    assert readers == {"hr", "admin"}
    assert can_read_field(viewer("warehouse"), "Employee", "name")


def test_restricted_fields_belong_to_known_types() -> None:
    # A root field can be a fact itself (the list of items to reorder).
    assert {type_name for type_name, _ in RESTRICTED_FIELDS} <= set(PERMISSIONS) | {"Query"}


def test_a_fact_is_closed_in_every_field_it_surfaces_in() -> None:
    """The open balance, live or precomputed, and the payment state of orders are one fact:
    whoever may not read invoices and payments reads none of them."""
    receivables = [key for key, fact in FACT_FIELDS.items() if fact == "receivables"]
    assert set(receivables) >= {
        ("Customer", "openBalance"),
        ("CustomerMetrics", "openBalance"),
        ("CustomerMetrics", "overdueBalance"),
        ("SalesOrder", "paymentStatus"),
    }
    for key in receivables:
        readers = {role for role in ROLES if can_read_field(viewer(role), *key)}
        assert readers == set(PERMISSIONS["Invoice"].read & PERMISSIONS["Payment"].read), key
    for (type_name, field), fact in FACT_FIELDS.items():
        assert RESTRICTED_FIELDS[type_name, field] == FACTS[fact].readers
        if type_name in PERMISSIONS:  # a fact never opens what its type closes
            assert FACTS[fact].readers <= PERMISSIONS[type_name].read | {"admin"}, fact


def test_a_forbidden_change_is_a_payload_error() -> None:
    with pytest.raises(DomainError) as refused:
        ensure_can_write(viewer("support"), "Invoice")
    assert refused.value.code == "FORBIDDEN"
    ensure_can_write(viewer("finance"), "Invoice")


def test_derived_figures_are_changed_by_workers_only() -> None:
    for name in ("CustomerMetrics", "CustomerForecast", "RevenueForecast", "Replenishment"):
        assert not can_write(viewer("admin"), name)
        assert can_read(viewer("admin"), name)


def test_fields_only_some_writers_may_set_belong_to_writers_of_their_type() -> None:
    # A field writer who could not change the type would never get to the field.
    for (type_name, field), writers in RESTRICTED_WRITES.items():
        assert writers <= PERMISSIONS[type_name].write, (type_name, field)
        assert "admin" in writers


def test_credit_tier_and_account_manager_are_for_managers_and_finance() -> None:
    def writers(field: str) -> set[str]:
        return {role for role in ROLES if can_write_field(viewer(role), "Customer", field)}

    assert writers("creditLimit") == {"admin", "sales_manager", "finance"}
    assert writers("tier") == {"admin", "sales_manager"}
    assert writers("accountManager") == {"admin", "sales_manager"}
    assert can_write_field(viewer("marketing"), "Customer", "name")


def test_each_field_a_role_may_not_set_is_refused_on_its_own() -> None:
    with pytest.raises(Rejected) as refused:
        ensure_can_write(viewer("sales_rep"), "Customer", ["name", "tier", "creditLimit"])
    assert [(e.code, e.field) for e in refused.value.errors] == [
        ("FORBIDDEN", "tier"),
        ("FORBIDDEN", "creditLimit"),
    ]
    ensure_can_write(viewer("finance"), "Customer", ["name", "creditLimit"])


def test_who_may_name_someone_else_may_change_what_they_name_them_on() -> None:
    for (type_name, field), rule in ASSIGNMENTS.items():
        assert "admin" in rule.assigners and rule.assigners <= PERMISSIONS[type_name].write
        assert rule.departments is None or rule.departments, (type_name, field)
    # A sales rep hands work only to themselves; a sales manager to the sales staff.
    for key in (("SalesOrder", "salesRep"), ("Opportunity", "owner"), ("Interaction", "employee")):
        assert "sales_rep" not in ASSIGNMENTS[key].assigners
        assert "sales_manager" in ASSIGNMENTS[key].assigners

"""The permission table: admin may do everything, restricted fields stay closed to others."""

import pytest

from domain.core.access import ROLES, Viewer
from domain.core.errors import DomainError
from domain.core.permissions import (
    FACT_FIELDS,
    FACTS,
    PERMISSIONS,
    RESTRICTED_FIELDS,
    can_read,
    can_read_field,
    can_write,
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

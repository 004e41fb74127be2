"""Plain-Python rules behind the mutations: input checks, ledger merging, audit diffs, keys."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from domain.core import validation
from domain.core.access import Viewer
from domain.core.errors import DomainError, Problems, Rejected
from domain.core.idempotency import request_hash
from domain.core.journal import Journal, changed_fields
from domain.erp.stock_ledger import StockChange, _merge


def test_text_is_trimmed_and_bounded() -> None:
    problems = Problems()
    assert validation.text(problems, "name", "  Acme  ", max_length=10) == "Acme"
    assert validation.text(problems, "name", "x" * 11, max_length=10) is None
    assert validation.text(problems, "notes", "   ", max_length=10, required=False) is None
    assert [(e.field, e.code) for e in problems.errors] == [("name", "VALIDATION")]


@pytest.mark.parametrize(
    ("value", "expected", "problem"),
    [
        (Decimal("10.50"), Decimal("10.50"), None),
        (Decimal("0"), Decimal("0"), None),
        (Decimal("10.505"), None, "must have at most two decimal places"),
        (Decimal("-0.01"), None, "must not be negative"),
        (Decimal("1000000000000.00"), None, "must be at most 999999999999.99"),
        (Decimal("NaN"), None, "must have at most two decimal places"),
    ],
)
def test_amounts_are_never_rounded_silently(
    value: Decimal, expected: Decimal | None, problem: str | None
) -> None:
    problems = Problems()
    assert validation.amount(problems, "amount", value) == expected
    assert [e.message for e in problems.errors] == ([problem] if problem else [])


def test_codes_come_from_the_iso_lists() -> None:
    problems = Problems()
    assert validation.currency(problems, "currency", " eur ") == "EUR"
    assert validation.country(problems, "country", "de") == "DE"
    validation.currency(problems, "currency", "EURO")
    validation.country(problems, "country", "XX")
    assert [e.field for e in problems.errors] == ["currency", "country"]


def test_instants_must_be_past_and_zoned() -> None:
    problems = Problems()
    now = datetime.now(UTC)
    assert validation.past_instant(problems, "at", now - timedelta(days=1)) < now
    validation.past_instant(problems, "at", now + timedelta(hours=1))
    validation.past_instant(problems, "at", datetime(2020, 1, 1))
    assert [e.message for e in problems.errors] == [
        "must not be in the future",
        "must include a time zone offset",
    ]
    assert (
        validation.day(
            problems, "d", date(1899, 12, 31), earliest=date(1900, 1, 1), latest=date(2100, 1, 1)
        )
        is None
    )


def test_problems_are_raised_together() -> None:
    problems = Problems()
    problems.add("a", "bad")
    problems.add("b", "worse", "INVALID_QUANTITY")
    with pytest.raises(Rejected) as raised:
        problems.raise_if_any()
    assert [(e.field, e.code) for e in raised.value.errors] == [
        ("a", "VALIDATION"),
        ("b", "INVALID_QUANTITY"),
    ]


def test_unknown_error_codes_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown error code"):
        DomainError("OOPS", "nope")


def test_stock_changes_merge_per_item_and_warehouse_in_lock_order() -> None:
    merged = _merge(
        [
            StockChange(7, 1, 0, 2, field="lines.0.quantity"),
            StockChange(3, 1, 0, 1, field="lines.1.quantity"),
            StockChange(7, 1, 0, 3, field="lines.2.quantity"),
            StockChange(5, 2, 4, -4),
            StockChange(5, 2, -4, 4),
        ]
    )
    # Item 5 nets to nothing and is dropped; item 7 keeps the field of its first line.
    assert merged == [
        StockChange(3, 1, 0, 1, "lines.1.quantity"),
        StockChange(7, 1, 0, 5, "lines.0.quantity"),
    ]


def test_audit_diffs_name_only_what_changed() -> None:
    before = {"name": "Acme", "tier": "bronze", "credit_limit": Decimal("100.00")}
    after = {"name": "Acme", "tier": "gold", "credit_limit": Decimal("100.00")}
    assert changed_fields(before, after) == {"tier": {"from": "bronze", "to": "gold"}}


def test_journal_entries_are_plain_json() -> None:
    journal = Journal(actor=Viewer.system())
    journal.record(
        "invoice.issued",
        entity_type="invoice",
        entity_id=1,
        changes={"total": Decimal("12.30"), "due": date(2026, 1, 31)},
    )
    assert journal.entries[0].changes == {"total": "12.30", "due": "2026-01-31"}


def test_request_fingerprints_ignore_key_order() -> None:
    assert request_hash({"a": 1, "b": [1, 2]}) == request_hash({"b": [1, 2], "a": 1})
    assert request_hash({"a": 1}) != request_hash({"a": 2})

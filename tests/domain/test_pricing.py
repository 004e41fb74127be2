"""Tier pricing: a CRM tier sets the ERP price, to the cent."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.core.errors import DomainError
from domain.core.money import money
from domain.erp.pricing import (
    DEFAULT_PRICE_RULES,
    PriceRule,
    order_totals,
    price_line,
    tax_rate_for,
)

D = Decimal


def _order(tier: str) -> list[tuple[Decimal, str, int]]:
    return [
        (D("19.99"), "hardware", 3),
        (D("250.00"), "software", 12),
        (D("4.10"), "consumables", 60),
    ]


def _priced(tier: str, country: str = "DE"):  # type: ignore[no-untyped-def]
    return [
        price_line(
            list_price=price,
            category=category,
            quantity=quantity,
            tier=tier,
            rules=DEFAULT_PRICE_RULES,
            tax_rate=tax_rate_for(country),
        )
        for price, category, quantity in _order(tier)
    ]


def test_same_order_bronze_and_platinum_get_the_rule_prices_to_the_cent() -> None:
    bronze = _priced("bronze")
    platinum = _priced("platinum")
    # bronze: 0% base, 2.5% from 10 units, 5% from 50 units
    assert [line.unit_price for line in bronze] == [D("19.99"), D("243.75"), D("3.90")]
    # platinum: 15% base, 17.5% from 10 units, consumables rule 20% from 10 units
    assert [line.unit_price for line in platinum] == [D("16.99"), D("206.25"), D("3.28")]
    assert [line.line_total for line in platinum] == [D("50.97"), D("2475.00"), D("196.80")]
    totals = order_totals(platinum)
    assert totals.subtotal == D("2722.77")
    assert totals.tax_total == D("9.68") + D("470.25") + D("37.39")
    assert totals.total == totals.subtotal + totals.tax_total
    assert order_totals(bronze).subtotal > totals.subtotal


def test_category_rule_beats_generic_rule_and_highest_break_wins() -> None:
    rules = [
        PriceRule("gold", D("10")),
        PriceRule("gold", D("12"), min_quantity=5),
        PriceRule("gold", D("3"), category="services"),
    ]
    services = price_line(
        list_price=D("100"),
        category="services",
        quantity=10,
        tier="gold",
        rules=rules,
        tax_rate=D("0"),
    )
    hardware = price_line(
        list_price=D("100"),
        category="hardware",
        quantity=10,
        tier="gold",
        rules=rules,
        tax_rate=D("0"),
    )
    small = price_line(
        list_price=D("100"),
        category="hardware",
        quantity=4,
        tier="gold",
        rules=rules,
        tax_rate=D("0"),
    )
    assert (services.unit_price, hardware.unit_price, small.unit_price) == (
        D("97.00"),
        D("88.00"),
        D("90.00"),
    )


def test_rounding_is_half_up_on_cents() -> None:
    line = price_line(
        list_price=D("0.05"),
        category="hardware",
        quantity=1,
        tier="silver",
        rules=DEFAULT_PRICE_RULES,
        tax_rate=D("0.19"),
    )
    # 5% of 0.05 = 0.0025 → 0.00; unit stays 0.05; tax 0.0095 → 0.01
    assert (line.unit_price, line.tax_amount) == (D("0.05"), D("0.01"))


def test_zero_or_negative_quantity_is_refused() -> None:
    with pytest.raises(DomainError) as error:
        price_line(
            list_price=D("1"),
            category="hardware",
            quantity=0,
            tier="gold",
            rules=(),
            tax_rate=D("0"),
        )
    assert error.value.code == "INVALID_QUANTITY"


def test_unknown_country_has_no_tax() -> None:
    assert (
        tax_rate_for("ZZ") == D("0")
        and tax_rate_for(None) == D("0")
        and tax_rate_for("de") == D("0.19")
    )


prices = st.decimals(min_value=D("0"), max_value=D("99999"), places=2)


@given(
    st.lists(
        st.tuples(
            prices,
            st.sampled_from(["hardware", "software", "services", "consumables"]),
            st.integers(1, 500),
            st.sampled_from(["bronze", "silver", "gold", "platinum"]),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_totals_are_sums_of_rounded_lines(lines: list[tuple[Decimal, str, int, str]]) -> None:
    priced = [
        price_line(
            list_price=p,
            category=c,
            quantity=q,
            tier=t,
            rules=DEFAULT_PRICE_RULES,
            tax_rate=D("0.2"),
        )
        for p, c, q, t in lines
    ]
    for line in priced:
        assert line.line_total == money(line.unit_price * line.quantity)
        assert D("0") <= line.unit_price <= line.list_price
    totals = order_totals(priced)
    assert totals.subtotal == sum(line.line_total for line in priced)
    assert totals.total == totals.subtotal + totals.tax_total
    assert totals.discount_total >= 0

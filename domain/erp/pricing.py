"""Prices come from the server: list price adjusted by the customer's tier rules.

A CRM classification (the tier) sets an ERP price. Rules may be generic for a tier or
specific to a product category, and may start at a quantity break.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from domain.core.errors import DomainError
from domain.core.money import ZERO, money


@dataclass(frozen=True)
class PriceRule:
    tier: str
    discount_percent: Decimal
    category: str | None = None
    min_quantity: int = 1


@dataclass(frozen=True)
class PricedLine:
    list_price: Decimal
    quantity: int
    discount_percent: Decimal
    unit_price: Decimal
    line_total: Decimal
    tax_amount: Decimal


@dataclass(frozen=True)
class OrderTotals:
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal


def best_rule(
    rules: Sequence[PriceRule], *, tier: str, category: str, quantity: int
) -> PriceRule | None:
    """The most specific applicable rule: category match first, then the highest break."""
    applicable = [
        rule
        for rule in rules
        if rule.tier == tier and rule.category in (None, category) and rule.min_quantity <= quantity
    ]
    if not applicable:
        return None
    return max(applicable, key=lambda rule: (rule.category is not None, rule.min_quantity))


def price_line(
    *,
    list_price: Decimal,
    category: str,
    quantity: int,
    tier: str,
    rules: Sequence[PriceRule],
    tax_rate: Decimal,
) -> PricedLine:
    """Price one order line for a customer of `tier`; every amount rounded to cents."""
    if quantity <= 0:
        raise DomainError("INVALID_QUANTITY", "quantity must be greater than zero", "quantity")
    if list_price < 0:
        raise DomainError("VALIDATION", "list price must not be negative", "listPrice")
    rule = best_rule(rules, tier=tier, category=category, quantity=quantity)
    discount = rule.discount_percent if rule else Decimal("0")
    unit_price = money(list_price * (Decimal(100) - discount) / Decimal(100))
    line_total = money(unit_price * quantity)
    return PricedLine(
        list_price=money(list_price),
        quantity=quantity,
        discount_percent=discount,
        unit_price=unit_price,
        line_total=line_total,
        tax_amount=money(line_total * tax_rate),
    )


def order_totals(lines: Sequence[PricedLine]) -> OrderTotals:
    """Order totals as sums of already-rounded line amounts (what the customer sees adds up)."""
    subtotal = sum((line.line_total for line in lines), ZERO)
    discount = sum(
        (money(line.list_price * line.quantity) - line.line_total for line in lines), ZERO
    )
    tax = sum((line.tax_amount for line in lines), ZERO)
    return OrderTotals(
        subtotal=subtotal, discount_total=discount, tax_total=tax, total=subtotal + tax
    )


def _tier_rules() -> tuple[PriceRule, ...]:
    base = {"bronze": "0", "silver": "5", "gold": "10", "platinum": "15"}
    rules: list[PriceRule] = []
    for tier, percent in base.items():
        start = Decimal(percent)
        rules.append(PriceRule(tier, start))
        rules.append(PriceRule(tier, start + Decimal("2.5"), min_quantity=10))
        rules.append(PriceRule(tier, start + Decimal("5"), min_quantity=50))
    # Services are sold at near-list price; consumables carry volume discounts for top tiers.
    rules.append(PriceRule("gold", Decimal("5"), category="services"))
    rules.append(PriceRule("platinum", Decimal("7.5"), category="services"))
    rules.append(PriceRule("platinum", Decimal("20"), category="consumables", min_quantity=10))
    return tuple(rules)


DEFAULT_PRICE_RULES: tuple[PriceRule, ...] = _tier_rules()

TAX_RATES: Mapping[str, Decimal] = {
    "DE": Decimal("0.19"),
    "FR": Decimal("0.20"),
    "GB": Decimal("0.20"),
    "NL": Decimal("0.21"),
    "US": Decimal("0"),
    "ES": Decimal("0.21"),
    "IT": Decimal("0.22"),
    "SE": Decimal("0.25"),
    "PL": Decimal("0.23"),
    "CH": Decimal("0.081"),
}


def tax_rate_for(country: str | None) -> Decimal:
    """VAT rate for a customer's country; unknown countries are invoiced without tax."""
    return TAX_RATES.get((country or "").upper(), Decimal("0"))

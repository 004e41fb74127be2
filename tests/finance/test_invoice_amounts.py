"""What was paid and credited on an invoice is kept on its row by the database, whoever
writes the payments and credit notes and however many one statement writes."""

from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.erp import receivables

# The sums as `receivables` defined them before they were kept: the ground truth.
RECOUNTED = """
SELECT i.number, i.amount_paid, i.amount_credited,
       coalesce((SELECT sum(amount) FROM erp.payment p WHERE p.invoice_id = i.id), 0),
       coalesce((SELECT sum(total) FROM erp.credit_note n WHERE n.invoice_id = i.id), 0)
FROM erp.invoice i ORDER BY i.number"""


async def kept(session: AsyncSession) -> dict[str, tuple[Decimal, Decimal]]:
    """Paid and credited per invoice number, after checking them against a recount."""
    rows = (await session.execute(text(RECOUNTED))).all()
    for number, paid, credited, payments, credit_notes in rows:
        assert (paid, credited) == (payments, credit_notes), number
    return {number: (paid, credited) for number, paid, credited, _, _ in rows}


@pytest.fixture
async def invoices(session: AsyncSession) -> dict[str, int]:
    customer = await session.scalar(
        text("INSERT INTO crm.customer (code, name) VALUES ('C1', 'Acme') RETURNING id")
    )
    made = {}
    for number, total in (("A", "100.00"), ("B", "50.00")):
        made[number] = await session.scalar(
            text(
                "INSERT INTO erp.invoice (number, customer_id, issued_on, due_on, subtotal, "
                "tax_total, total) VALUES (:number, :customer, '2026-01-01', '2026-01-31', "
                ":total, 0, :total) RETURNING id"
            ),
            {"number": number, "customer": customer, "total": Decimal(total)},
        )
    made["customer"] = customer
    return made


async def pay(session: AsyncSession, *payments: tuple[str, int, str]) -> None:
    """Payments (number, invoice, amount), all in one statement."""
    values = ", ".join(
        f"('{number}', {invoice}, (SELECT customer_id FROM erp.invoice WHERE id = {invoice}), "
        f"{amount}, now())"
        for number, invoice, amount in payments
    )
    await session.execute(
        text(
            "INSERT INTO erp.payment (number, invoice_id, customer_id, amount, received_at) "
            f"VALUES {values}"
        )
    )


async def test_payments_add_up_on_their_invoices_through_every_kind_of_write(
    session: AsyncSession, invoices: dict[str, int]
) -> None:
    a, b = invoices["A"], invoices["B"]
    await pay(session, ("P1", a, "30.00"), ("P2", a, "20.00"), ("P3", b, "5.00"))
    assert await kept(session) == {
        "A": (Decimal("50.00"), 0),
        "B": (Decimal("5.00"), 0),
    }
    await session.execute(text("UPDATE erp.payment SET amount = 35 WHERE number = 'P1'"))
    # A payment moved to another invoice leaves one and reaches the other.
    await session.execute(text(f"UPDATE erp.payment SET invoice_id = {b} WHERE number = 'P2'"))
    assert await kept(session) == {"A": (Decimal("35.00"), 0), "B": (Decimal("25.00"), 0)}
    # An update that changes nothing of the amounts, and a delete.
    await session.execute(text("UPDATE erp.payment SET reference = 'wire' WHERE number = 'P3'"))
    await session.execute(text("DELETE FROM erp.payment WHERE number = 'P1'"))
    assert await kept(session) == {"A": (0, 0), "B": (Decimal("25.00"), 0)}
    await session.execute(
        text(
            "INSERT INTO erp.credit_note (number, invoice_id, customer_id, currency, issued_on, "
            f"reason, subtotal, tax_total, total) VALUES ('CN1', {a}, {invoices['customer']}, "
            "'EUR', '2026-01-10', 'damaged', 40, 0, 40)"
        )
    )
    assert await kept(session) == {"A": (0, Decimal("40.00")), "B": (Decimal("25.00"), 0)}
    due = await receivables.amounts_due(session, [a, b])
    assert due == {a: Decimal("60.00"), b: Decimal("25.00")}
    await session.execute(text("TRUNCATE erp.payment"))
    assert await kept(session) == {"A": (0, Decimal("40.00")), "B": (0, 0)}


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE erp.invoice SET amount_paid = 100",
        "UPDATE erp.invoice SET amount_credited = amount_credited + 1",
        "INSERT INTO erp.invoice (number, customer_id, issued_on, due_on, subtotal, tax_total, "
        "total, amount_paid) SELECT 'C', customer_id, issued_on, due_on, 1, 0, 1, 1 "
        "FROM erp.invoice LIMIT 1",
    ],
)
async def test_the_sums_are_written_by_the_database_alone(
    session: AsyncSession, invoices: dict[str, int], change: str
) -> None:
    with pytest.raises(DBAPIError, match="kept by the database"):
        await session.execute(text(change))

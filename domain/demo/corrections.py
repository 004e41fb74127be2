"""Corrections after a sale: goods sent back, credit notes and refunds.

A few delivered orders have goods sent back days after they arrived (a sales return): the
units come back into stock at the cost they left with, and what of them was invoiced is
credited. A few invoices get a goodwill credit for a unit of a line, a few are credited in
full. What a credit note takes back beyond what the invoice still asked for is owed to the
customer, and most of that is refunded within days.

The arithmetic is the credit notes' own (`domain.erp.credit_notes`: units at the price they
were billed, tax at the order's rate, the last units of a line taking what is left of its
tax) and invoice statuses come from `domain.erp.invoice_states`. A credit note is dated no
earlier than the invoice's last payment, so no payment ever exceeded what was due. This
module draws on its own random stream: the rest of the demo is the same with or without it.
"""

from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

from domain.demo.frame import Frame, cents_to_text, ints_where, round_half_up_div
from domain.erp.invoice_states import status_after_payment

STREAM = 2  # this module's random numbers come from seed + STREAM
RETURN_SHARE = 0.006  # of delivered deliveries
GOODWILL_SHARE = 0.01  # of open and paid invoices
FULL_CREDIT_SHARE = 0.003
REFUNDED_SHARE = 0.8  # of what credit notes leave owed to customers
RETURN_REASONS = np.array(
    ["Damaged in transit", "Wrong item delivered", "No longer needed", "Faulty on arrival"]
)
GOODWILL_REASONS = np.array(
    [
        "Goodwill: late delivery",
        "Goodwill: packaging damaged",
        "Price adjustment agreed with the account manager",
    ]
)
FULL_CREDIT_REASON = "Invoice cancelled: billed in error"


@dataclass
class _Credit:
    """One credit note to write: units of invoice lines (row positions in erp.invoice_line)."""

    invoice: int
    day: int
    reason: str
    lines: list[tuple[int, int]]
    sales_return: int | None = None


@dataclass
class _Invoices:
    """What the credits need to know of every invoice, by invoice id − 1."""

    order: np.ndarray
    status: np.ndarray
    total: np.ndarray
    paid: np.ndarray
    last_paid_day: np.ndarray
    issued_day: np.ndarray
    first_line: np.ndarray
    line_count: np.ndarray
    taken: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.taken = np.zeros(len(self.order), dtype=bool)


def generate_corrections(frame: Frame) -> None:
    rng = np.random.default_rng(frame.seed + STREAM)
    invoices = _invoices(frame)
    credits = _returns(frame, rng, invoices)
    credits += _goodwill_credits(frame, rng, invoices)
    credits += _full_credits(rng, invoices)
    credits.sort(key=lambda credit: (credit.day, credit.invoice))
    refund_owed = _credit_notes(frame, rng, invoices, credits)
    _refunds(frame, rng, refund_owed)


def _invoices(frame: Frame) -> _Invoices:
    table = frame.tables["erp.invoice"]
    order = frame.pools["invoice_order"]
    n = len(order)
    paid = np.zeros(n + 1, dtype=np.int64)
    np.add.at(paid, frame.pools["payment_invoice"], frame.pools["payment_cents"])
    last_paid = np.full(n + 1, -1)
    np.maximum.at(last_paid, frame.pools["payment_invoice"], frame.pools["payment_day"])
    line_invoice = frame.tables["erp.invoice_line"]["invoice_id"].to_numpy()
    ids = np.arange(1, n + 1)
    return _Invoices(
        order=order,
        status=table["status"].to_numpy().copy(),
        total=frame.pools["order_subtotal"][order - 1] + frame.pools["order_tax"][order - 1],
        paid=paid[1:],
        last_paid_day=last_paid[1:],
        issued_day=frame.pools["invoice_issued_day"],
        first_line=np.searchsorted(line_invoice, ids, side="left"),
        line_count=np.searchsorted(line_invoice, ids, side="right")
        - np.searchsorted(line_invoice, ids, side="left"),
    )


def _pick(rng: np.random.Generator, candidates: np.ndarray, share: float, least: int) -> np.ndarray:
    chosen = candidates[rng.random(len(candidates)) < share]
    if len(chosen) < least:
        chosen = candidates[:least]
    return chosen


def _returns(frame: Frame, rng: np.random.Generator, invoices: _Invoices) -> list[_Credit]:
    """Units of the first line of a few delivered deliveries, back some days after arrival."""
    deliveries = frame.tables["erp.delivery"]
    arrival = frame.pools["delivery_arrival_day"]
    candidates = (
        np.flatnonzero(
            (deliveries["status"].to_numpy() == "delivered")
            & (arrival >= 0)
            & (arrival < frame.days)
        )
        + 1
    )
    chosen = _pick(rng, candidates, RETURN_SHARE, 2)
    shipment_delivery = frame.pools["shipment_delivery"]
    order_line = frame.pools["shipment_order_line"][
        np.searchsorted(shipment_delivery, chosen, side="left")
    ]
    order = frame.pools["line_order"][order_line - 1]
    quantity = np.minimum(
        frame.pools["line_quantity"][order_line - 1], rng.geometric(0.6, len(chosen))
    )
    day = np.minimum(arrival[chosen - 1] + rng.integers(2, 21, size=len(chosen)), frame.days)
    invoice_of_order = np.zeros(len(frame.pools["order_status"]) + 1, dtype=np.int64)
    invoice_of_order[invoices.order] = np.arange(1, len(invoices.order) + 1)
    invoice = invoice_of_order[order]
    credited = (invoice > 0) & ~np.isin(invoices.status[np.maximum(invoice, 1) - 1], ["void"])
    # Credited on the day the goods came back, which is after the invoice's last payment.
    day = np.where(
        credited,
        np.maximum(day, np.maximum(invoices.last_paid_day, invoices.issued_day)[invoice - 1]),
        day,
    )
    credits = []
    ids = np.arange(1, len(chosen) + 1)
    for position in np.flatnonzero(credited):
        target = int(invoice[position])
        invoices.taken[target - 1] = True
        line = _invoice_line_of(frame, invoices, target, int(order_line[position]))
        credits.append(
            _Credit(
                target,
                int(day[position]),
                f"Goods returned (RT-{ids[position]:08d}): "
                f"{RETURN_REASONS[position % len(RETURN_REASONS)]}",
                [(line, int(quantity[position]))],
                sales_return=int(ids[position]),
            )
        )
    _write_returns(frame, rng, chosen, order, order_line, quantity, day, credited)
    return credits


def _invoice_line_of(frame: Frame, invoices: _Invoices, invoice: int, order_line: int) -> int:
    first = int(invoices.first_line[invoice - 1])
    lines = frame.tables["erp.invoice_line"]["sales_order_line_id"].to_numpy()
    span = lines[first : first + int(invoices.line_count[invoice - 1])]
    return first + int(np.flatnonzero(span == order_line)[0])


def _write_returns(
    frame: Frame,
    rng: np.random.Generator,
    delivery: np.ndarray,
    order: np.ndarray,
    order_line: np.ndarray,
    quantity: np.ndarray,
    day: np.ndarray,
    credited: np.ndarray,
) -> None:
    n = len(delivery)
    ids = np.arange(1, n + 1)
    numbers = np.array([f"RT-{i:08d}" for i in ids], dtype=object)
    item = frame.pools["line_item"][order_line - 1]
    cost = (pd.to_numeric(frame.tables["erp.stock_item"]["unit_cost"]).to_numpy() * 100).round()
    value = quantity * cost.astype(np.int64)[item - 1]
    warehouse = frame.tables["erp.delivery"]["warehouse_id"].to_numpy()[delivery - 1]
    received_at = frame.day_offsets_to_instants(day, frame.business_seconds(n, rng))
    order_numbers = frame.tables["erp.sales_order"]["number"].to_numpy()[order - 1]
    frame.tables["erp.sales_return"] = pd.DataFrame(
        {
            "id": ids,
            "number": numbers,
            "sales_order_id": order,
            "customer_id": frame.pools["order_customer"][order - 1],
            "warehouse_id": warehouse,
            "reason": RETURN_REASONS[(ids - 1) % len(RETURN_REASONS)],
            "received_at": received_at,
            "stock_value": cents_to_text(value),
            "created_at": received_at,
        }
    )
    frame.tables["erp.sales_return_line"] = pd.DataFrame(
        {
            "id": ids,
            "sales_return_id": ids,
            "sales_order_line_id": order_line,
            "quantity": quantity,
            "credited_quantity": np.where(credited, quantity, 0),
            "value": cents_to_text(value),
        }
    )
    # The stock ledger's return movements (domain.demo.stock), as domain.erp.sales_returns
    # writes them.
    frame.pools.update(
        return_item=item,
        return_warehouse=warehouse,
        return_quantity=quantity,
        return_order=order,
        return_received_at=received_at.to_numpy(),
        return_reason=np.array(
            [
                f"Returned: {number} of order {order_number}"
                for number, order_number in zip(numbers, order_numbers, strict=True)
            ],
            dtype=object,
        ),
    )


def _goodwill_credits(frame: Frame, rng: np.random.Generator, invoices: _Invoices) -> list[_Credit]:
    """One unit of an invoice's first line, some weeks after it was issued."""
    candidates = (
        np.flatnonzero(
            np.isin(invoices.status, ["issued", "partially_paid", "paid"]) & ~invoices.taken
        )
        + 1
    )
    chosen = _pick(rng, candidates, GOODWILL_SHARE, 1)
    invoices.taken[chosen - 1] = True
    day = np.minimum(
        np.maximum(
            invoices.issued_day[chosen - 1] + rng.integers(5, 41, size=len(chosen)),
            invoices.last_paid_day[chosen - 1],
        ),
        frame.days,
    )
    reason = rng.choice(GOODWILL_REASONS, size=len(chosen))
    return [
        _Credit(int(invoice), int(when), str(why), [(int(invoices.first_line[invoice - 1]), 1)])
        for invoice, when, why in zip(chosen, day, reason, strict=True)
    ]


def _full_credits(rng: np.random.Generator, invoices: _Invoices) -> list[_Credit]:
    """Every unit of a few invoices: unpaid ones, and paid ones whose money goes back."""
    credits = []
    for status in ("issued", "paid"):
        candidates = np.flatnonzero((invoices.status == status) & ~invoices.taken) + 1
        chosen = _pick(rng, candidates, FULL_CREDIT_SHARE, 1)
        invoices.taken[chosen - 1] = True
        for invoice in chosen:
            first = int(invoices.first_line[invoice - 1])
            day = max(
                int(invoices.issued_day[invoice - 1]), int(invoices.last_paid_day[invoice - 1])
            )
            lines = range(first, first + int(invoices.line_count[invoice - 1]))
            credits.append(
                _Credit(int(invoice), day, FULL_CREDIT_REASON, [(line, -1) for line in lines])
            )
    return credits


def _credit_notes(
    frame: Frame, rng: np.random.Generator, invoices: _Invoices, credits: list[_Credit]
) -> pd.DataFrame:
    """Write the credit notes and their lines, and the invoices' statuses after them;
    returns what each note left owed to its customer."""
    line_table = frame.tables["erp.invoice_line"]
    order_line = line_table["sales_order_line_id"].to_numpy()
    description = line_table["description"].to_numpy()
    billed_quantity = line_table["quantity"].to_numpy()
    unit = frame.pools["line_unit_cents"][order_line - 1]
    line_tax = frame.pools["line_tax_cents"][order_line - 1]
    rate = frame.pools["order_tax_permille"]
    notes: list[dict[str, object]] = []
    note_lines: list[dict[str, object]] = []
    for number, credit in enumerate(credits, start=1):
        order = int(invoices.order[credit.invoice - 1])
        net_sum = tax_sum = 0
        for line, wanted in credit.lines:
            units = int(billed_quantity[line]) if wanted < 0 else wanted
            net = int(unit[line]) * units
            tax = (
                int(line_tax[line])
                if units == billed_quantity[line]
                else min(int(round_half_up_div(net * rate[order - 1], 1000)), int(line_tax[line]))
            )
            net_sum, tax_sum = net_sum + net, tax_sum + tax
            note_lines.append(
                {
                    "credit_note_id": number,
                    "invoice_line_id": line + 1,
                    "description": description[line],
                    "quantity": units,
                    "unit_cents": int(unit[line]),
                    "net_cents": net,
                    "tax_cents": tax,
                }
            )
        index = credit.invoice - 1
        total = net_sum + tax_sum
        still_due = int(invoices.total[index] - invoices.paid[index])
        notes.append(
            {
                "id": number,
                "invoice_id": credit.invoice,
                "customer_id": int(frame.pools["order_customer"][order - 1]),
                "sales_return_id": credit.sales_return or 0,
                "day": credit.day,
                "reason": credit.reason,
                "net_cents": net_sum,
                "tax_cents": tax_sum,
                "refund_cents": max(0, total - still_due),
            }
        )
        invoices.status[index] = status_after_payment(
            Decimal(int(invoices.total[index])),
            Decimal(int(invoices.paid[index])),
            Decimal(total),
        )
    frame.tables["erp.invoice"]["status"] = invoices.status
    written = pd.DataFrame(notes)
    lines = pd.DataFrame(note_lines)
    issued_at = frame.day_offsets_to_instants(
        written["day"].to_numpy(), frame.business_seconds(len(written), rng)
    )
    total = written["net_cents"].to_numpy() + written["tax_cents"].to_numpy()
    frame.tables["erp.credit_note"] = pd.DataFrame(
        {
            "id": written["id"],
            "number": [f"CN-{i:08d}" for i in written["id"]],
            "invoice_id": written["invoice_id"],
            "customer_id": written["customer_id"],
            "sales_return_id": ints_where(
                written["sales_return_id"], written["sales_return_id"] > 0
            ),
            "currency": "EUR",
            "issued_on": frame.day_offsets_to_dates(written["day"].to_numpy()),
            "reason": written["reason"],
            "subtotal": cents_to_text(written["net_cents"].to_numpy()),
            "tax_total": cents_to_text(written["tax_cents"].to_numpy()),
            "total": cents_to_text(total),
            "refund_amount": cents_to_text(written["refund_cents"].to_numpy()),
            "created_at": issued_at,
        }
    )
    frame.tables["erp.credit_note_line"] = pd.DataFrame(
        {
            "id": np.arange(1, len(lines) + 1),
            "credit_note_id": lines["credit_note_id"],
            "invoice_line_id": lines["invoice_line_id"],
            "description": lines["description"],
            "quantity": lines["quantity"],
            "unit_price": cents_to_text(lines["unit_cents"].to_numpy()),
            "line_total": cents_to_text(lines["net_cents"].to_numpy()),
            "tax_amount": cents_to_text(lines["tax_cents"].to_numpy()),
        }
    )
    return written.assign(issued_at=issued_at)


def _refunds(frame: Frame, rng: np.random.Generator, notes: pd.DataFrame) -> None:
    """Most of what credit notes left owed, paid back in full a few days later; the rest
    still owed today."""
    owed = notes[notes["refund_cents"] > 0]
    refunded = owed[rng.random(len(owed)) < REFUNDED_SHARE]
    if len(refunded) == len(owed) and len(owed) > 1:
        refunded = refunded.iloc[:-1]  # one stays owed, so the demo shows an open refund
    n = len(refunded)
    ids = np.arange(1, n + 1)
    day = np.minimum(refunded["day"].to_numpy() + rng.integers(1, 11, size=n), frame.days)
    paid_at = frame.day_offsets_to_instants(day, frame.business_seconds(n, rng))
    # A refund on the credit note's own day is paid after it was issued.
    issued_at = refunded["issued_at"].reset_index(drop=True)
    paid_at = paid_at.where(paid_at >= issued_at, issued_at)
    frame.tables["erp.refund"] = pd.DataFrame(
        {
            "id": ids,
            "number": [f"RF-{i:08d}" for i in ids],
            "credit_note_id": refunded["id"].to_numpy(),
            "customer_id": refunded["customer_id"].to_numpy(),
            "amount": cents_to_text(refunded["refund_cents"].to_numpy()),
            "currency": "EUR",
            "method": "bank_transfer",
            "reference": [f"Refund of CN-{i:08d}" for i in refunded["id"]],
            "paid_at": paid_at,
            "created_at": paid_at,
        }
    )

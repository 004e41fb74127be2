"""Everything held about one customer, as one document: the answer to an access request.

The document holds the customer's own row and every row that belongs to it, as stored:
contacts, interactions, tickets, opportunities, campaign memberships, sales orders with their
lines, deliveries with their lines, invoices with their lines, payments, credit notes with
their lines, returns with their lines, refunds, quotes with their lines, and the audit trail
of changes to the customer record itself (earlier exports, being reads, are left out).
PostgreSQL builds each part as JSON (`to_jsonb` of the rows), so the document shows every
column, not a selection someone chose. Producing it is audited: who asked, and when.
"""

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.access import Viewer
from domain.core.errors import NotFound

# name -> the rows of that part, for customer :c, in a fixed order.
PARTS: dict[str, str] = {
    "contacts": "SELECT t FROM crm.contact t WHERE t.customer_id = :c ORDER BY t.id",
    "interactions": "SELECT t FROM crm.interaction t WHERE t.customer_id = :c ORDER BY t.id",
    "tickets": "SELECT t FROM crm.ticket t WHERE t.customer_id = :c ORDER BY t.id",
    "opportunities": "SELECT t FROM crm.opportunity t WHERE t.customer_id = :c ORDER BY t.id",
    "campaignMemberships": (
        "SELECT t FROM crm.campaign_member t WHERE t.customer_id = :c ORDER BY t.id"
    ),
    "salesOrders": "SELECT t FROM erp.sales_order t WHERE t.customer_id = :c ORDER BY t.id",
    "salesOrderLines": (
        "SELECT t FROM erp.sales_order_line t JOIN erp.sales_order o ON o.id = t.sales_order_id "
        "WHERE o.customer_id = :c ORDER BY t.id"
    ),
    "deliveries": (
        "SELECT t FROM erp.delivery t JOIN erp.sales_order o ON o.id = t.sales_order_id "
        "WHERE o.customer_id = :c ORDER BY t.id"
    ),
    "deliveryLines": (
        "SELECT t FROM erp.delivery_line t JOIN erp.delivery d ON d.id = t.delivery_id "
        "JOIN erp.sales_order o ON o.id = d.sales_order_id WHERE o.customer_id = :c ORDER BY t.id"
    ),
    "invoices": "SELECT t FROM erp.invoice t WHERE t.customer_id = :c ORDER BY t.id",
    "invoiceLines": (
        "SELECT t FROM erp.invoice_line t JOIN erp.invoice i ON i.id = t.invoice_id "
        "WHERE i.customer_id = :c ORDER BY t.id"
    ),
    "payments": "SELECT t FROM erp.payment t WHERE t.customer_id = :c ORDER BY t.id",
    "creditNotes": "SELECT t FROM erp.credit_note t WHERE t.customer_id = :c ORDER BY t.id",
    "creditNoteLines": (
        "SELECT t FROM erp.credit_note_line t JOIN erp.credit_note n ON n.id = t.credit_note_id "
        "WHERE n.customer_id = :c ORDER BY t.id"
    ),
    "salesReturns": "SELECT t FROM erp.sales_return t WHERE t.customer_id = :c ORDER BY t.id",
    "salesReturnLines": (
        "SELECT t FROM erp.sales_return_line t JOIN erp.sales_return r "
        "ON r.id = t.sales_return_id WHERE r.customer_id = :c ORDER BY t.id"
    ),
    "refunds": "SELECT t FROM erp.refund t WHERE t.customer_id = :c ORDER BY t.id",
    "quotes": "SELECT t FROM erp.quote t WHERE t.customer_id = :c ORDER BY t.id",
    "quoteLines": (
        "SELECT t FROM erp.quote_line t JOIN erp.quote q ON q.id = t.quote_id "
        "WHERE q.customer_id = :c ORDER BY t.id"
    ),
    "auditTrail": (
        "SELECT t FROM ops.audit_log t WHERE t.entity_type = 'customer' AND t.entity_id = :c "
        "AND t.action <> 'customer.exported' ORDER BY t.id"
    ),
}


async def held_about(session: AsyncSession, actor: Viewer, customer_id: int) -> dict[str, Any]:
    """The document (see the module docstring); NOT_FOUND for no such customer. Audited in
    `session`'s transaction, which the caller commits."""
    customer = await session.scalar(
        text("SELECT to_jsonb(c) FROM crm.customer c WHERE c.id = :c"), {"c": customer_id}
    )
    if customer is None:
        raise NotFound("customer", "id")
    document: dict[str, Any] = {"customer": customer}
    for name, rows in PARTS.items():
        document[name] = await session.scalar(
            text(
                f"SELECT coalesce(jsonb_agg(to_jsonb(p.t) ORDER BY (p.t).id), '[]') FROM ({rows}) p"
            ),
            {"c": customer_id},
        )
    await session.execute(
        text(
            "INSERT INTO ops.audit_log (actor_employee_id, actor, action, entity_type, "
            "entity_id, changes, source, api_key_id) VALUES (:employee, :actor, "
            "'customer.exported', 'customer', :c, '{}'::jsonb, :source, :key)"
        ),
        {
            "employee": actor.employee_id,
            "actor": actor.email,
            "c": customer_id,
            "source": actor.source,
            "key": actor.api_key_id,
        },
    )
    return document

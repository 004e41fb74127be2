"""Do the books agree with the operations? Each check counts what disagrees (0: all is well).

The ledger is written from the documents by the posting rules, so these hold by
construction; they are what an auditor (or a test, or a migration) asks before trusting it:
every entry balances, the inventory account is the value of the stock on hand, each
customer's receivable is what its open invoices still ask for (total less payments less
what credit notes took off it), what is owed back to each customer is what its credit notes
left owed less refunds, what is owed to each supplier is what its open bills still ask for,
and the trial balance sums to zero.
"""

CHECKS: dict[str, str] = {
    "a journal entry does not balance": """
        SELECT count(*) FROM (SELECT entry_id FROM finance.journal_line GROUP BY 1
                              HAVING sum(debit) <> sum(credit)) unbalanced""",
    "stock value differs from its movements, or is negative": """
        SELECT count(*) FROM erp.stock_level l
        LEFT JOIN (SELECT stock_item_id, warehouse_id, sum(value) AS value
                   FROM erp.stock_movement GROUP BY 1, 2) m USING (stock_item_id, warehouse_id)
        WHERE l.stock_value <> coalesce(m.value, 0) OR l.stock_value < 0
           OR (l.on_hand = 0 AND l.stock_value <> 0)""",
    "the inventory account differs from the value of stock on hand": """
        SELECT ((SELECT coalesce(sum(l.debit - l.credit), 0) FROM finance.journal_line l
                 JOIN finance.account a ON a.id = l.account_id AND a.purpose = 'inventory')
             <> (SELECT coalesce(sum(stock_value), 0) FROM erp.stock_level))::int""",
    "the receivable account differs from what a customer owes on open invoices": """
        WITH owed AS (
            SELECT i.customer_id,
                   sum(i.total - coalesce(p.paid, 0) - coalesce(cn.relieved, 0)) AS amount
            FROM erp.invoice i
            LEFT JOIN (SELECT invoice_id, sum(amount) AS paid FROM erp.payment GROUP BY 1) p
                   ON p.invoice_id = i.id
            LEFT JOIN (SELECT invoice_id, sum(total - refund_amount) AS relieved
                       FROM erp.credit_note GROUP BY 1) cn ON cn.invoice_id = i.id
            WHERE i.status <> 'void' AND i.currency = 'EUR' GROUP BY 1),
        booked AS (
            SELECT l.customer_id, sum(l.debit - l.credit) AS amount FROM finance.journal_line l
            JOIN finance.account a ON a.id = l.account_id AND a.purpose = 'receivable'
            WHERE l.currency = 'EUR' GROUP BY 1)
        SELECT count(*) FROM owed FULL JOIN booked USING (customer_id)
        WHERE coalesce(owed.amount, 0) <> coalesce(booked.amount, 0)""",
    "refunds due differ from what credit notes left owed to a customer, less refunds": """
        WITH owed AS (
            SELECT n.customer_id, sum(n.refund_amount - coalesce(r.paid, 0)) AS amount
            FROM erp.credit_note n
            LEFT JOIN (SELECT credit_note_id, sum(amount) AS paid FROM erp.refund GROUP BY 1) r
                   ON r.credit_note_id = n.id
            WHERE n.currency = 'EUR' GROUP BY 1),
        booked AS (
            SELECT l.customer_id, sum(l.credit - l.debit) AS amount FROM finance.journal_line l
            JOIN finance.account a ON a.id = l.account_id AND a.purpose = 'refunds_due'
            WHERE l.currency = 'EUR' GROUP BY 1)
        SELECT count(*) FROM owed FULL JOIN booked USING (customer_id)
        WHERE coalesce(owed.amount, 0) <> coalesce(booked.amount, 0)""",
    # In each bill's currency: payments relieve what a foreign bill booked, whatever the rate.
    "the payable account differs from what is open on supplier bills": """
        WITH owed AS (
            SELECT b.supplier_id, b.currency, sum(b.total - coalesce(p.paid, 0)) AS amount
            FROM finance.supplier_bill b
            LEFT JOIN (SELECT supplier_bill_id, sum(amount) AS paid
                       FROM finance.supplier_payment GROUP BY 1) p ON p.supplier_bill_id = b.id
            WHERE b.status <> 'void' GROUP BY 1, 2),
        booked AS (
            SELECT l.supplier_id, l.currency, -sum(l.amount_currency) AS amount
            FROM finance.journal_line l
            JOIN finance.account a ON a.id = l.account_id AND a.purpose = 'payable'
            GROUP BY 1, 2)
        SELECT count(*) FROM owed FULL JOIN booked USING (supplier_id, currency)
        WHERE coalesce(owed.amount, 0) <> coalesce(booked.amount, 0)""",
    "the trial balance does not sum to zero": """
        SELECT (coalesce(sum(debit), 0) <> coalesce(sum(credit), 0))::int
        FROM finance.journal_line""",
}

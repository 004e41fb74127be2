"""Do the books agree with the operations? Each check counts what disagrees (0: all is well).

The ledger is written from the documents by the posting rules, so these hold by
construction; they are what an auditor (or a test, or a migration) asks before trusting it:
every entry balances, the inventory account is the value of the stock on hand, each
customer's receivable is what its open invoices still ask for, and the trial balance sums
to zero.
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
            SELECT i.customer_id, sum(i.total - coalesce(p.paid, 0)) AS amount
            FROM erp.invoice i
            LEFT JOIN (SELECT invoice_id, sum(amount) AS paid FROM erp.payment GROUP BY 1) p
                   ON p.invoice_id = i.id
            WHERE i.status <> 'void' AND i.currency = 'EUR' GROUP BY 1),
        booked AS (
            SELECT l.customer_id, sum(l.debit - l.credit) AS amount FROM finance.journal_line l
            JOIN finance.account a ON a.id = l.account_id AND a.purpose = 'receivable'
            WHERE l.currency = 'EUR' GROUP BY 1)
        SELECT count(*) FROM owed FULL JOIN booked USING (customer_id)
        WHERE coalesce(owed.amount, 0) <> coalesce(booked.amount, 0)""",
    "the trial balance does not sum to zero": """
        SELECT (coalesce(sum(debit), 0) <> coalesce(sum(credit), 0))::int
        FROM finance.journal_line""",
}

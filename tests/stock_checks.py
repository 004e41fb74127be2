"""A check every stock test shares: each level equals the sum of its ledger's movements."""

# Levels that differ from their movements, or hold impossible values: none, ever.
LEDGER_DRIFT = """
SELECT count(*) FROM erp.stock_level l
LEFT JOIN (SELECT stock_item_id, warehouse_id, sum(delta_on_hand) AS on_hand,
                  sum(delta_reserved) AS reserved
           FROM erp.stock_movement GROUP BY 1, 2) m USING (stock_item_id, warehouse_id)
WHERE l.on_hand <> coalesce(m.on_hand, 0) OR l.reserved <> coalesce(m.reserved, 0)
   OR l.on_hand < 0 OR l.reserved > l.on_hand
"""

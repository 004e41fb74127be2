"""Production: what manufactured items are made of (bills of materials, versioned, with a
cost roll-up) and the work orders that make them, through the stock ledger."""

# Registers the cost roll-up on a component's cost change (an in-transaction handler).
from domain.production import costing as costing

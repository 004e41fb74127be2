"""The root Mutation type: one class of business operations per domain area."""

import strawberry

from schema.mutations.billing import BillingMutations
from schema.mutations.customers import CustomerMutations
from schema.mutations.orders import OrderMutations
from schema.mutations.people import PeopleMutations
from schema.mutations.pipeline import PipelineMutations
from schema.mutations.stock import StockMutations


@strawberry.type(description="Business operations. Each takes one `input` and returns a payload.")
class Mutation(
    CustomerMutations,
    PipelineMutations,
    OrderMutations,
    BillingMutations,
    StockMutations,
    PeopleMutations,
):
    pass

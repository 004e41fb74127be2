"""Warehouses: where stock is held and orders ship from."""

import strawberry
from strawberry import relay

from domain.erp.models import Warehouse as WarehouseModel
from schema.core.nodes import TableNode, desc


@strawberry.type(description="A warehouse holding stock.")
class Warehouse(TableNode):
    MODEL = WarehouseModel
    id: relay.NodeID[int]
    code: str = desc("Short code.")
    name: str = desc("Name.")
    city: str | None = desc("City.")
    country: str | None = desc("ISO country code.")

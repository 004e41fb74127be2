"""GraphQL enums over the domain's vocabularies: UPPER_CASE names, stored lowercase values."""

from enum import Enum
from typing import Any

import strawberry


def vocabulary_enum(name: str, values: tuple[str, ...], description: str) -> Any:
    """A GraphQL enum of a vocabulary tuple of the domain (`"bank_transfer"` → BANK_TRANSFER).

    Typed Any, not type[Enum]: members are generated from the vocabularies, which mypy cannot
    see.
    """
    members = {value.upper().replace("'", "").replace(" ", "_"): value for value in values}
    enum_class = Enum(name, members)  # type: ignore[misc]
    return strawberry.enum(enum_class, description=description)

"""The root Mutation type (business operations are added per domain module)."""

import strawberry


@strawberry.type(description="Business operations. Each takes one `input` and returns a payload.")
class Mutation:
    @strawberry.field(description="Always true; a placeholder until operations exist.")
    def ping(self) -> bool:
        return True

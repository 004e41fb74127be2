"""A tiny table-driven state machine shared by orders, deliveries, invoices, deals and tickets."""

from collections.abc import Mapping

from domain.core.errors import InvalidTransition


class StateMachine:
    """Legal moves as `{action: {from_status: to_status}}`; anything else is refused."""

    def __init__(
        self, entity: str, statuses: tuple[str, ...], moves: Mapping[str, Mapping[str, str]]
    ):
        self.entity = entity
        self.statuses = statuses
        self._moves = moves
        for action, edges in moves.items():
            unknown = (set(edges) | set(edges.values())) - set(statuses)
            if unknown:
                raise ValueError(f"{entity}.{action} uses unknown statuses {sorted(unknown)}")

    def next(self, current: str, action: str) -> str:
        """The status after `action`, or InvalidTransition (code INVALID_TRANSITION)."""
        target = self._moves.get(action, {}).get(current)
        if target is None:
            raise InvalidTransition(self.entity, current, action)
        return target

    def allowed_actions(self, current: str) -> tuple[str, ...]:
        return tuple(action for action, edges in self._moves.items() if current in edges)

    def is_final(self, status: str) -> bool:
        return not self.allowed_actions(status)

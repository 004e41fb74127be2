"""Opportunity pipeline: stages, their default win probabilities, and the moves allowed."""

from domain.core.errors import InvalidTransition

OPEN_STAGES = ("prospecting", "qualification", "proposal", "negotiation")
OPPORTUNITY_STAGES = (*OPEN_STAGES, "won", "lost")
DEFAULT_PROBABILITY = {
    "prospecting": 10,
    "qualification": 25,
    "proposal": 50,
    "negotiation": 75,
    "won": 100,
    "lost": 0,
}
# A deal can only be won once an offer is on the table.
WINNABLE_FROM = ("proposal", "negotiation")


def is_open(stage: str) -> bool:
    return stage in OPEN_STAGES


def move(current: str, target: str) -> str:
    """Validate a stage change: forward any number of open stages, back one, win, or lose."""
    if not is_open(current) or target not in OPPORTUNITY_STAGES or target == current:
        raise InvalidTransition("opportunity", current, f"move to {target}")
    if target == "lost":
        return target
    if target == "won":
        if current not in WINNABLE_FROM:
            raise InvalidTransition("opportunity", current, "win")
        return target
    step = OPEN_STAGES.index(target) - OPEN_STAGES.index(current)
    if step < -1:
        raise InvalidTransition("opportunity", current, f"move back to {target}")
    return target

"""How long runs report progress: the command line draws a bar, workers ignore it."""

from typing import Protocol


class Progress(Protocol):
    def start(self, total: int) -> None:
        """The run now knows how many units of work it has."""

    def advance(self, done: int = 1) -> None:
        """`done` more units are finished."""


class Silent:
    def start(self, total: int) -> None:
        pass

    def advance(self, done: int = 1) -> None:
        pass

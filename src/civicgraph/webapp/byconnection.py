"""What the keeper holds for each of some connections, found by its descriptor."""

import select
from typing import Generic, TypeVar

Held = TypeVar("Held")


class ByConnection(Generic[Held]):
    """One kind of work the keeper does on connections registered on its ``epoll``,
    with a count of the bytes it holds for them (``_held``)."""

    def __init__(self, poll: select.epoll) -> None:
        self._poll = poll
        self._by_fd: dict[int, Held] = {}
        self._held = 0

    def __len__(self) -> int:
        return len(self._by_fd)

    def owns(self, fd: int) -> bool:
        """Whether ``fd`` is one of these connections (the keeper routes its events here)."""
        return fd in self._by_fd

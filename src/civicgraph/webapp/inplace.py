"""Evaluating in a serving process: the time limit, the memory budget, fairness.

``InPlaceLimit`` is the ``limit`` a serving process gives its ``GuardedStore``: every
read runs inside it. It takes the short limit when this process is the last free one,
and marks the evaluation in the shared ``Slots`` table with the client's socket, the
deadline and the exact 503s this request would get: the master's ``Watchdog`` stops
it there. A failed allocation under the address-space backstop becomes the
memory-budget error.
"""

import resource
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import current_app, request

from civicgraph.config import Settings
from civicgraph.errors import CivicgraphError, QueryTimeoutError, ResourceLimitError
from civicgraph.webapp.errors import wants_json
from civicgraph.webapp.slots import Slots


def limit_memory(budget: int) -> int:
    """Set this process's memory limits; returns the resident size it may not pass.

    The watchdog stops a process whose resident memory grows past what it holds now
    plus ``budget`` (and answers 503). An address-space limit of twice the budget on
    top of what the process maps now is the backstop for an allocation too fast for
    the watchdog to see; a process that reaches it dies without an answer.
    """
    pages, resident_pages = map(int, Path("/proc/self/statm").read_text().split()[:2])
    size = resource.getpagesize()
    limit = pages * size + 2 * budget
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return resident_pages * size + budget


def raw_response(error: CivicgraphError) -> bytes:
    """The whole HTTP response this request would get for ``error``, as bytes.

    Built by the application's own error handler and response hooks, so the
    rescuer sends exactly what the serving process would have sent.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    response = app.process_response(app.make_response(app.handle_user_exception(error)))
    body: bytes = response.get_data()
    head = [f"HTTP/1.1 {response.status}"]
    head += [f"{k}: {v}" for k, v in response.headers.items() if k.lower() != "content-length"]
    head += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    return "\r\n".join(head).encode("latin-1") + body


class InPlaceLimit:
    """The context every read of a serving process is evaluated in."""

    def __init__(self, settings: Settings, slots: Slots) -> None:
        self.settings, self.slots = settings, slots
        #: The descriptor of the current request's client socket (set per request).
        self.client: int | None = None
        self._responses: dict[tuple[float, str | None, bool], tuple[bytes, bytes]] = {}

    def _prepared(self, limit: float) -> tuple[bytes, bytes]:
        """The 503s for a time-out and for the memory budget, built once per kind of request."""
        key = (limit, request.blueprint, wants_json())
        found = self._responses.get(key)
        if found is None:
            found = self._responses[key] = (
                raw_response(QueryTimeoutError(limit)),
                raw_response(ResourceLimitError(self.settings.memory_budget)),
            )
        return found

    @contextmanager
    def __call__(self) -> Iterator[None]:
        """Evaluate under the time limit (the short one if this process is the last free)."""
        settings, client = self.settings, self.client
        limit = settings.query_timeout
        if self.slots.last_free():
            limit = min(settings.short_query_limit, limit)
        if client is None:  # not a request from a socket: nobody to answer for
            yield
            return
        self.slots.prepare(*self._prepared(limit))
        try:
            with self.slots.evaluating(client, limit):
                yield
        except MemoryError:
            raise ResourceLimitError(settings.memory_budget) from None

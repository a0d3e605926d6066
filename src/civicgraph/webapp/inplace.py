"""Evaluating in a serving process: the time limit, the memory budget, fairness.

``InPlaceLimit`` is the ``limit`` a serving process gives its ``GuardedStore``: every
read runs inside it, and so does other heavy work a request does beside the store (a
version rebuilt, two versions compared). It marks the evaluation in the shared ``Slots``
table with the client's socket, its limits and the exact 503s this request would get:
the master's ``Watchdog`` stops it at the time limit, or past the short one if it began
on the last free process and the others are held by long queries. A failed allocation
under the address-space backstop becomes the memory-budget error. Nested, the outer
limit stands: a read inside heavy work that is already limited neither restarts the
deadline nor ends the watch.
"""

import json
import resource
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, has_request_context, request

from civicgraph.config import Settings
from civicgraph.errors import QueryTimeoutError, ResourceLimitError, ServerBusyError
from civicgraph.store.guarded import Overrun
from civicgraph.webapp.fastpath import PATH
from civicgraph.webapp.slots import Slots, Stop


def limit_memory(budget: int) -> int:
    """Set this process's memory limits; returns the resident size it may not pass.

    The watchdog stops a process whose resident memory grows past what it holds now
    plus ``budget`` (and answers 503). An address-space limit of four times the budget on
    top of what the process maps now is the backstop for an allocation too fast for
    the watchdog to see; a process that reaches it dies without an answer.
    """
    pages, resident_pages = map(int, Path("/proc/self/statm").read_text().split()[:2])
    size = resource.getpagesize()
    limit = pages * size + 4 * budget
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return resident_pages * size + budget


def raw_response(
    error: QueryTimeoutError | ResourceLimitError | ServerBusyError, head_only: bool = False
) -> bytes:
    """The whole HTTP response for ``error`` in the usual JSON error shape, as bytes;
    without its body for a ``HEAD`` request (``head_only``), which may have none.

    Always JSON, never the HTML error page, so that it fits its slot; the route's
    own response hooks (CORS, security headers) run on it as on any answer.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    payload = {"error": error.title, "status": 503, "detail": error.detail, "limit": error.limit}
    response = app.process_response(Response(json.dumps(payload), 503, mimetype=JSON))
    body: bytes = response.get_data()
    head = [f"HTTP/1.1 {response.status}"]
    head += [f"{k}: {v}" for k, v in response.headers.items() if k.lower() != "content-length"]
    head += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    return "\r\n".join(head).encode("latin-1") + (b"" if head_only else body)


JSON = "application/json"


class InPlaceLimit:
    """The context every read of a serving process is evaluated in."""

    def __init__(self, settings: Settings, slots: Slots) -> None:
        self.settings, self.slots = settings, slots
        #: The descriptor of the current request's client socket (set per request).
        self.client: int | None = None
        #: The current request's WSGI environ, and the app (set by the serving process).
        self.environ: dict[str, Any] = {}
        self.app: Flask | None = None
        self._responses: dict[tuple[str | None, Overrun, bool], tuple[bytes, ...]] = {}
        #: Whether the current request already evaluates inside this limit.
        self._inside = False

    def _prepared(self, overrun: Overrun) -> tuple[bytes, ...]:
        """The 503s for each stop, in ``Stop``'s order, built once per kind of request.

        A query stopped at the short limit (it held the last free process) is told the
        server is busy, not that it is too long: elsewhere it may run in full.
        Otherwise ``overrun`` says what was too long (a query, by default).

        A read outside a Flask request is the endpoint's fast path
        (``webapp/fastpath.py``), which Flask never dispatched: its 503s are built in
        a request context made from the request's own environ, so they carry the
        endpoint's hooks as the blueprint's answers do.
        """
        outside = self.app is not None and not has_request_context()
        head_only = not outside and request.method == "HEAD"
        key = (PATH if outside else request.blueprint, overrun, head_only)
        found = self._responses.get(key)
        if found is None:
            context = self.app.request_context(self.environ) if self.app and outside else None
            settings = self.settings
            with context or nullcontext():
                made = {
                    Stop.TIME: raw_response(overrun(settings.query_timeout), head_only),
                    Stop.BUSY: raw_response(ServerBusyError(self._short()), head_only),
                    Stop.MEMORY: raw_response(
                        overrun.over_memory(settings.memory_budget), head_only
                    ),
                }
            found = self._responses[key] = tuple(made[stop] for stop in Stop)
        return found

    def _short(self) -> float:
        return min(self.settings.short_query_limit, self.settings.query_timeout)

    @contextmanager
    def __call__(self, overrun: Overrun = QueryTimeoutError) -> Iterator[None]:
        """Evaluate under the time limit (and the short one, should this be the last free
        process); past it, the client is told ``overrun``. Inside this limit already:
        as it is."""
        settings, client = self.settings, self.client
        if client is None or self._inside:  # nobody to answer for, or watched already
            yield
            return
        self.slots.prepare(self._prepared(overrun))
        self._inside = True
        try:
            short = self._short() if self.slots.last_free() else None
            with self.slots.evaluating(client, settings.query_timeout, short):
                yield
        except MemoryError:
            raise overrun.over_memory(settings.memory_budget) from None
        finally:
            self._inside = False

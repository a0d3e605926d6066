"""Queries pinned to an earlier dataset version, answered by a short-lived child process.

A permalink that carries ``version=N`` must keep answering from the data as it was at
version N. That data no longer sits in the store: it is rebuilt from the version log
(``versions.store_at``) into a store of its own. Rebuilding and querying happen in a
child process so that the query's time limit and memory budget still really stop the
work (the child is killed), and the serving process never holds the rebuilt copy.
The child inherits the parent's network namespace, so it cannot reach the network
wherever the server cannot.
"""

import dataclasses
import faulthandler
import json
import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from civicgraph.dataset.versions import VersionLog, store_at
from civicgraph.errors import (
    CivicgraphError,
    NotAcceptableError,
    NotFoundError,
    QueryTimeoutError,
    StoreError,
    UserInputError,
)
from civicgraph.store.isolation import isolate_network
from civicgraph.store.results import SerializedResult, serialize_negotiated
from civicgraph.store.structure_child import end_with_parent

#: Address space the child's interpreter and libraries take before the query's own budget.
_BASELINE = 1024 * 1024 * 1024
#: Seconds a child may take to start and rebuild the data, beyond the query's own limit,
#: where nothing else limits it: a serving process's watchdog counts the whole answer,
#: rebuilding included, against the query's limit (``GuardedStore.limited``).
REBUILD_ALLOWANCE = 20.0
#: What ``faulthandler.dump_traceback_later`` writes when it ends the child.
_TIMED_OUT = b"Timeout ("
#: What the child says when an allocation fails at its address-space limit: Python's
#: error, or the engine's before it aborts.
_OUT_OF_MEMORY: Final = (b"MemoryError", b"memory allocation of")


@dataclass(frozen=True)
class PinnedQuery:
    """What the child needs: where the log is, which version, and the query itself."""

    folder: str
    number: int
    sparql: str
    accept: str | None
    max_rows: int | None
    base_iri: str | None
    #: The answer's byte cap, as for a query in place (``CIVICGRAPH_ANSWER_BYTE_CAP``).
    max_bytes: int | None = None
    #: The protocol's dataset (``default-graph-uri``, ``named-graph-uri``), as in place.
    default_graphs: list[str | None] | None = None
    named_graphs: list[str] | None = None


def answer_at(
    log: VersionLog, query: PinnedQuery, *, timeout: float, memory_budget: int
) -> SerializedResult:
    """Answer ``query`` from the data as it was at its version, or raise a clear error."""
    log.get(query.number)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "civicgraph.dataset.pinned"],
            input=json.dumps(
                {
                    **vars(query),
                    "memory_limit": _BASELINE + memory_budget,
                    "timeout": timeout,
                    "parent": os.getpid(),
                }
            ).encode(),
            capture_output=True,
            timeout=timeout + REBUILD_ALLOWANCE,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise QueryTimeoutError(timeout) from exc
    if done.returncode != 0 and _TIMED_OUT in done.stderr:  # ended at the limit
        raise QueryTimeoutError(timeout)
    if done.returncode != 0 and any(said in done.stderr for said in _OUT_OF_MEMORY):
        raise QueryTimeoutError.over_memory(memory_budget)
    return _read_answer(done)


def _limit_memory(limit: int) -> None:
    """In the child, before it rebuilds anything: cap its address space.

    Set by the child itself rather than in a ``preexec_fn``, which is unsafe in a
    threaded server (the parent's locks are copied into the child mid-use). A serving
    process's own limit, which the child inherits and may not raise, stands if lower.
    """
    inherited = resource.getrlimit(resource.RLIMIT_AS)[1]
    if inherited != resource.RLIM_INFINITY:
        limit = min(limit, inherited)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _read_answer(done: "subprocess.CompletedProcess[bytes]") -> SerializedResult:
    """The child writes one JSON line of metadata, then the answer's bytes."""
    head, _, body = done.stdout.partition(b"\n")
    if done.returncode != 0 or not head:
        meta = json.loads(head) if head.startswith(b"{") else {}
        detail = meta.get("detail") or "The query at that version could not be answered."
        if meta.get("status") == 406:
            raise NotAcceptableError(meta["accept"], meta["valid"])
        if meta.get("status", 500) < 500:
            raise (NotFoundError if meta.get("status") == 404 else UserInputError)(detail)
        raise StoreError(detail)
    return SerializedResult(body, **json.loads(head))


def _error_meta(exc: CivicgraphError) -> dict[str, object]:
    """What the parent needs to raise the same error: its status, and for a format the
    client cannot have, what it asked for and what it could."""
    if isinstance(exc, NotAcceptableError):
        return {"status": 406, "accept": exc.accept, "valid": exc.valid, "detail": str(exc)}
    status = (
        404 if isinstance(exc, NotFoundError) else 400 if isinstance(exc, UserInputError) else 500
    )
    return {"status": status, "detail": str(exc)}


def _child() -> None:
    """Rebuild the version, run the query, and write the answer to standard output."""
    isolate_network()  # it evaluates a visitor's query: no connection out, whatever it says
    request = json.loads(sys.stdin.buffer.read())
    end_with_parent(request.pop("parent"))
    _limit_memory(request.pop("memory_limit"))
    timeout = request.pop("timeout")
    query = PinnedQuery(**request)
    try:
        store = store_at(VersionLog(Path(query.folder)), query.number)
        # The query itself gets no more than the limit, whatever the rebuild took.
        faulthandler.dump_traceback_later(timeout, exit=True, file=sys.stderr)
        result = store.query(
            query.sparql,
            default_graphs=query.default_graphs,
            named_graphs=query.named_graphs,
            max_rows=query.max_rows,
            max_bytes=query.max_bytes,
            base_iri=query.base_iri,
        )
        answer = serialize_negotiated(result, query.accept)
    except CivicgraphError as exc:
        sys.stdout.buffer.write(json.dumps(_error_meta(exc)).encode())
        sys.exit(1)
    # every field but the body, so that nothing the endpoint says of the answer (how
    # many rows a truncated one kept) is lost on the way
    meta = {f.name: getattr(answer, f.name) for f in dataclasses.fields(answer) if f.name != "body"}
    sys.stdout.buffer.write(json.dumps(meta).encode() + b"\n" + answer.body)


if __name__ == "__main__":
    _child()

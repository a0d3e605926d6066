"""One benchmark run at one size: generate, load, start, query, measure, stop.

All peers are loaded and running together, and each query is timed on them in
interleaved rounds, so that they share the machine's state (page cache, CPU
frequency, other work on a shared machine) and their numbers can be compared.
"""

import gc
import shutil
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Protocol

import requests

from bench.browser import view_settles
from bench.foreign import foreign_mix, generate_foreign
from bench.generate import generate
from bench.limit import LimitCheck, check_limit
from bench.measure import Latency, Throughput, latencies, latency_of, throughput
from bench.mix import ORG, Query, Sending, api_calls, lookups, mix, with_prefixes
from bench.peers import (
    HttpPeer,
    RdflibPeer,
    civicgraph_server,
    load_civicgraph,
    load_civicgraph_cli,
    load_oxigraph,
    oxigraph_server,
    rdflib_endpoint_server,
)

PEERS = ("civicgraph", "oxigraph", "rdflib-endpoint", "rdflib")
#: Peers that run as servers (the others run in the benchmark's own process).
SERVERS = ("civicgraph", "oxigraph", "rdflib-endpoint")
#: Throughput is measured this many times per server, alternating; the best counts.
THROUGHPUT_ROUNDS = 2
#: Each load is measured this many times, the loaders in a rotating order; the median
#: counts. One load of a million triples took from 17 to 22 s on the same machine within
#: minutes, so a single measurement of each, always in the same order, decided a ratio
#: by the order and by when the machine was slow.
LOAD_ROUNDS = 3


@dataclass
class PeerFacts:
    """Load, memory, start-up and throughput of one peer at one size."""

    load_seconds: float = 0.0
    #: ``civicgraph load`` end to end (the command with its defaults), civicgraph only.
    cli_load_seconds: float = 0.0
    memory: int = 0
    startup: float | None = None
    throughput: Throughput | None = None
    #: The same, each request asking about another entity (``mix.lookups``).
    lookups: Throughput | None = None


@dataclass
class SizeResult:
    """Everything measured at one size."""

    label: str
    triples: int
    queries: tuple[Query, ...]
    latency: dict[tuple[str, str], Latency] = field(default_factory=dict)
    api: dict[str, Latency | str] = field(default_factory=dict)
    facts: dict[str, PeerFacts] = field(default_factory=dict)
    #: civicgraph with a short time limit: an endless query beside the 8 clients.
    limit: LimitCheck | None = None
    #: Data outside the ontology (``foreign.py``): triples, then ``civicgraph load``'s
    #: and ``oxigraph load``'s seconds.
    foreign: tuple[int, float, float] | None = None
    #: That data's own mix (``foreign_mix``), timed on civicgraph and ``oxigraph serve``.
    foreign_queries: tuple[Query, ...] = ()
    foreign_latency: dict[tuple[str, str], Latency] = field(default_factory=dict)
    seconds: float = 0.0


class Runner(Protocol):
    """A peer that answers query text: a server over HTTP, or rdflib in process."""

    name: str

    def run(self, sparql: str, accept: str, sending: Sending = Sending.GET) -> int:
        """Answer one query in ``accept``, sent as ``sending`` says; returns the answer's
        size in bytes."""
        ...


def say(message: str) -> None:
    """Progress on the terminal; the report is the result."""
    print(message, flush=True)


def _measure_mix(
    peers: Sequence[Runner], queries: tuple[Query, ...], into: dict[tuple[str, str], Latency]
) -> None:
    """Time each query on every peer, into ``into`` by peer and query."""
    for query in queries:
        text = with_prefixes(query)
        calls = {p.name: partial(p.run, text, query.accept, query.sending) for p in peers}
        timed = latencies(calls)
        for name, value in timed.items():
            into[(name, query.name)] = value
        medians = "  ".join(f"{n} {v.median * 1000:9.2f} ms" for n, v in timed.items())
        say(f"    {query.name:<22} {medians}")


def _measure_api(peer: HttpPeer, result: SizeResult) -> None:
    waited = peer.wait_until_prepared("/api/graph/status")
    say(f"    network prepared {waited:.1f} s after the API measurements began")
    for call in api_calls():
        try:
            peer.get(call.path, call.params)
        except requests.HTTPError as exc:
            result.api[call.name] = f"not available ({exc.response.status_code})"
            continue
        result.api[call.name] = latency_of(partial(peer.get, call.path, call.params))
    result.api["view_settles_chromium"] = view_settles(peer.base, ORG)


def _measure_throughput(
    servers: list[HttpPeer], result: SizeResult, cheap: str, each: list[str]
) -> None:
    for _ in range(THROUGHPUT_ROUNDS):
        for server in servers:
            facts = result.facts[server.name]
            port, path = server.port, server.query_path
            facts.throughput = _best(facts.throughput, throughput(port, path, cheap))
            facts.lookups = _best(facts.lookups, throughput(port, path, each))
    for server in servers:
        facts = result.facts[server.name]
        rates = [found.per_second if found else 0 for found in (facts.throughput, facts.lookups)]
        say(
            f"    {server.name}: {rates[0]:,.0f} req/s with 8 clients, "
            f"{rates[1]:,.0f} asking about another entity each time"
        )


def _best(kept: Throughput | None, measured: Throughput) -> Throughput:
    return measured if kept is None or measured.per_second > kept.per_second else kept


def _measure_limit(store: Path, result: SizeResult, cheap: str) -> None:
    result.limit = checked = check_limit(store, cheap)
    say(
        f"  endless query beside 8 clients: {checked.status} after {checked.seconds:.1f} s; "
        f"clients at {checked.kept:.0%} of their rate"
    )


def _load(data: Path, work: Path, result: SizeResult) -> tuple[list[HttpPeer], RdflibPeer]:
    # The store's own loader alone (into a store measured and then removed), ``oxigraph
    # load``, and the command users run, version log and validation included: the
    # stores the last two fill are the ones served, as users serve them.
    seconds = _median_loads(
        {
            work / "loader": partial(load_civicgraph, data),
            work / "oxigraph": partial(load_oxigraph, data),
            work / "civicgraph": partial(load_civicgraph_cli, data),
        }
    )
    _remove_beside(work / "loader")
    result.facts["civicgraph"] = PeerFacts(seconds[work / "loader"])
    result.facts["civicgraph"].cli_load_seconds = seconds[work / "civicgraph"]
    result.facts["oxigraph"] = PeerFacts(seconds[work / "oxigraph"])
    _measure_foreign(work, result)
    servers = [civicgraph_server(work / "civicgraph"), oxigraph_server(work / "oxigraph")]
    # rdflib-endpoint parses the file as it starts: its start-up is its load.
    servers.append(rdflib_endpoint_server(data))
    rdflib = RdflibPeer()
    result.facts["rdflib"] = PeerFacts(rdflib.load(data), rdflib.bytes)
    say(f"  rdflib: loaded in {result.facts['rdflib'].load_seconds:.1f} s")
    return servers, rdflib


def _median_loads(loads: dict[Path, Callable[[Path], float]]) -> dict[Path, float]:
    """Each load's median seconds over ``LOAD_ROUNDS`` rounds, by the folder it fills.

    Each round starts with a different loader, so that none always follows the same
    one; every load goes into a fresh folder (the one of the last round is kept).
    """
    folders = list(loads)
    times: dict[Path, list[float]] = {folder: [] for folder in folders}
    for turn in range(LOAD_ROUNDS):
        for folder in folders[turn % len(folders) :] + folders[: turn % len(folders)]:
            _remove_beside(folder)
            times[folder].append(loads[folder](folder))
    for folder, measured in times.items():
        rounds = ", ".join(f"{s:.1f}" for s in measured)
        say(f"  {folder.name}: loaded in {statistics.median(measured):.1f} s ({rounds})")
    return {folder: statistics.median(measured) for folder, measured in times.items()}


def _remove_beside(folder: Path) -> None:
    """Remove a store's folder and those a load makes beside it (its version log's)."""
    for leftover in folder.parent.glob(f"{folder.name}*"):
        if leftover.is_dir():
            shutil.rmtree(leftover)


def _measure_foreign(work: Path, result: SizeResult) -> None:
    """Both loaders, then both servers on the data's own mix, on data outside the
    ontology; its files are removed afterwards."""
    data = work / "foreign.nt"
    triples = generate_foreign(result.triples, data)
    ours, theirs = work / "foreign-civicgraph", work / "foreign-oxigraph"
    seconds = _median_loads(
        {ours: partial(load_civicgraph_cli, data), theirs: partial(load_oxigraph, data)}
    )
    result.foreign = (triples, seconds[ours], seconds[theirs])
    result.foreign_queries = foreign_mix()
    servers = [civicgraph_server(ours), oxigraph_server(theirs)]
    try:
        for server in servers:
            server.start(with_prefixes(result.foreign_queries[0]))
        say("  its own mix:")
        _measure_mix(servers, result.foreign_queries, result.foreign_latency)
    finally:
        for server in servers:
            server.stop()
        for leftover in work.glob("foreign*"):
            if leftover.is_dir():
                shutil.rmtree(leftover)
            else:
                leftover.unlink()


def run_size(label: str, wanted: int, work: Path) -> SizeResult:
    """Measure every peer on a graph of about ``wanted`` triples."""
    began = time.perf_counter()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    data = work / "data.nt"
    triples, sizes = generate(wanted, data)
    say(f"{label}: {triples:,} triples")
    result = SizeResult(label, triples, mix(sizes.initiatives))
    cheap = with_prefixes(result.queries[0])
    servers, rdflib = _load(data, work, result)
    try:
        for server in servers:
            facts = result.facts.setdefault(server.name, PeerFacts())
            facts.startup = server.start(cheap)
            if not facts.load_seconds:
                facts.load_seconds = facts.startup
        _measure_mix([*servers, rdflib], result.queries, result.latency)
        _measure_api(servers[0], result)
        for server in servers:
            result.facts[server.name].memory = server.memory()
        # rdflib's graph holds cycles: freed now, not by a collection during the
        # throughput clients' run (the clients are forked from this process, too).
        del rdflib
        gc.collect()
        _measure_throughput(servers, result, cheap, lookups(sizes.people))
    finally:
        for server in servers:
            server.stop()
    _measure_limit(work / "civicgraph", result, cheap)
    result.seconds = time.perf_counter() - began
    shutil.rmtree(work, ignore_errors=True)
    return result

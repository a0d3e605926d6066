"""One benchmark run at one size: generate, load, start, query, measure, stop.

All peers are loaded and running together, and each query is timed on them in
interleaved rounds, so that they share the machine's state (page cache, CPU
frequency, other work on a shared machine) and their numbers can be compared.
"""

import gc
import shutil
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Protocol

import requests

from bench.browser import view_settles
from bench.foreign import generate_foreign
from bench.generate import generate
from bench.limit import LimitCheck, check_limit
from bench.measure import Latency, Throughput, latencies, latency_of, throughput
from bench.mix import ORG, Query, Sending, api_calls, mix, with_prefixes
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


@dataclass
class PeerFacts:
    """Load, memory, start-up and throughput of one peer at one size."""

    load_seconds: float = 0.0
    #: ``civicgraph load`` end to end (the command with its defaults), civicgraph only.
    cli_load_seconds: float = 0.0
    memory: int = 0
    startup: float | None = None
    throughput: Throughput | None = None


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


def _measure_mix(peers: list[Runner], result: SizeResult) -> None:
    for query in result.queries:
        text = with_prefixes(query)
        calls = {p.name: partial(p.run, text, query.accept, query.sending) for p in peers}
        timed = latencies(calls)
        for name, value in timed.items():
            result.latency[(name, query.name)] = value
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


def _measure_throughput(servers: list[HttpPeer], result: SizeResult, cheap: str) -> None:
    for _ in range(THROUGHPUT_ROUNDS):
        for server in servers:
            facts = result.facts[server.name]
            measured = throughput(server.port, server.query_path, cheap)
            if facts.throughput is None or measured.per_second > facts.throughput.per_second:
                facts.throughput = measured
    for server in servers:
        rate = result.facts[server.name].throughput
        say(f"    {server.name}: {rate.per_second if rate else 0:,.0f} req/s with 8 clients")


def _measure_limit(store: Path, result: SizeResult, cheap: str) -> None:
    result.limit = checked = check_limit(store, cheap)
    say(
        f"  endless query beside 8 clients: {checked.status} after {checked.seconds:.1f} s; "
        f"clients at {checked.kept:.0%} of their rate"
    )


def _load(data: Path, work: Path, result: SizeResult) -> tuple[list[HttpPeer], RdflibPeer]:
    # The store's own loader alone, into a store measured and then removed.
    result.facts["civicgraph"] = PeerFacts(load_civicgraph(data, work / "loader"))
    shutil.rmtree(work / "loader")
    say(f"  civicgraph: loaded in {result.facts['civicgraph'].load_seconds:.1f} s")
    result.facts["oxigraph"] = PeerFacts(load_oxigraph(data, work / "oxigraph"))
    say(f"  oxigraph: loaded in {result.facts['oxigraph'].load_seconds:.1f} s")
    # The command users run, version log and validation included: the store it fills
    # is the one served, as users serve it.
    result.facts["civicgraph"].cli_load_seconds = load_civicgraph_cli(data, work / "civicgraph")
    say(f"  civicgraph load (command): {result.facts['civicgraph'].cli_load_seconds:.1f} s")
    result.foreign = _load_foreign(work, result.triples)
    servers = [civicgraph_server(work / "civicgraph"), oxigraph_server(work / "oxigraph")]
    # rdflib-endpoint parses the file as it starts: its start-up is its load.
    servers.append(rdflib_endpoint_server(data))
    rdflib = RdflibPeer()
    result.facts["rdflib"] = PeerFacts(rdflib.load(data), rdflib.bytes)
    say(f"  rdflib: loaded in {result.facts['rdflib'].load_seconds:.1f} s")
    return servers, rdflib


def _load_foreign(work: Path, wanted: int) -> tuple[int, float, float]:
    """Both loaders on data outside the ontology, into stores removed afterwards."""
    data = work / "foreign.nt"
    triples = generate_foreign(wanted, data)
    ours = load_civicgraph_cli(data, work / "foreign-civicgraph")
    theirs = load_oxigraph(data, work / "foreign-oxigraph")
    say(f"  data outside the ontology: civicgraph load {ours:.1f} s, oxigraph load {theirs:.1f} s")
    for leftover in work.glob("foreign*"):
        if leftover.is_dir():
            shutil.rmtree(leftover)
        else:
            leftover.unlink()
    return triples, ours, theirs


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
        _measure_mix([*servers, rdflib], result)
        _measure_api(servers[0], result)
        for server in servers:
            result.facts[server.name].memory = server.memory()
        # rdflib's graph holds cycles: freed now, not by a collection during the
        # throughput clients' run (the clients are forked from this process, too).
        del rdflib
        gc.collect()
        _measure_throughput(servers, result, cheap)
    finally:
        for server in servers:
            server.stop()
    _measure_limit(work / "civicgraph", result, cheap)
    result.seconds = time.perf_counter() - began
    shutil.rmtree(work, ignore_errors=True)
    return result

"""One benchmark run at one size: generate, load, start, query, measure, stop.

Everything for one size happens in one run so that the peers share the machine's
state (page cache, CPU frequency) and their numbers can be compared directly.
"""

import shutil
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Protocol

import requests

from bench.generate import generate
from bench.measure import Latency, Throughput, latency, throughput
from bench.mix import Query, api_calls, mix, with_prefixes
from bench.peers import (
    HttpPeer,
    RdflibPeer,
    civicgraph_server,
    load_civicgraph,
    load_oxigraph,
    oxigraph_server,
)

PEERS = ("civicgraph", "oxigraph", "rdflib")


@dataclass
class PeerFacts:
    """Load, memory, start-up and throughput of one peer at one size."""

    load_seconds: float = 0.0
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
    seconds: float = 0.0


def say(message: str) -> None:
    """Progress on the terminal; the report is the result."""
    print(message, flush=True)


class Runner(Protocol):
    """A peer that answers query text: a server over HTTP, or rdflib in process."""

    name: str

    def run(self, sparql: str, graph: bool) -> int:
        """Answer one query; returns the answer's size in bytes."""
        ...


def _measure_mix(peer: Runner, result: SizeResult) -> None:
    for query in result.queries:
        timed = latency(partial(peer.run, with_prefixes(query), query.graph))
        result.latency[(peer.name, query.name)] = timed
        say(f"    {peer.name:<10} {query.name:<22} {timed.median * 1000:10.2f} ms")


def _measure_api(peer: HttpPeer, result: SizeResult) -> None:
    for call in api_calls():
        try:
            peer.get(call.path, call.params)
        except requests.HTTPError as exc:
            result.api[call.name] = f"not available ({exc.response.status_code})"
            continue
        result.api[call.name] = latency(partial(peer.get, call.path, call.params))


def _serve(peer: HttpPeer, facts: PeerFacts, result: SizeResult, cheap: str) -> None:
    facts.startup = peer.start(cheap)
    try:
        _measure_mix(peer, result)
        if peer.name == "civicgraph":
            _measure_api(peer, result)
        facts.memory = peer.memory()
        facts.throughput = throughput(peer.port, peer.query_path, cheap)
        say(f"    {peer.name}: {facts.throughput.per_second:,.0f} req/s with 8 clients")
    finally:
        peer.stop()


def _rdflib(data: Path, result: SizeResult) -> None:
    peer = RdflibPeer()
    facts = result.facts["rdflib"] = PeerFacts(peer.load(data))
    facts.memory = peer.bytes
    _measure_mix(peer, result)


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
    for name, load, make in (
        ("civicgraph", load_civicgraph, civicgraph_server),
        ("oxigraph", load_oxigraph, oxigraph_server),
    ):
        store = work / name
        facts = result.facts[name] = PeerFacts(load(data, store))
        say(f"  {name}: loaded in {facts.load_seconds:.1f} s")
        _serve(make(store), facts, result, cheap)
    _rdflib(data, result)
    result.seconds = time.perf_counter() - began
    shutil.rmtree(work, ignore_errors=True)
    return result

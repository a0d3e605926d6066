"""``BENCH_REMOTE=1 make bench``: civicgraph over each SPARQL server the tests run.

For every server (``oxigraph serve`` and Debian's Virtuoso 7, started as the test
suite starts them), the generated graph is loaded through civicgraph's remote store
(staging graph, then ``MOVE``) and the load rate is recorded; then ``civicgraph serve``
runs over the server and each query of the mix is timed through civicgraph and,
interleaved call by call, on the same server queried directly with the same
``Accept``. The ratio is civicgraph's own cost over a remote store. Results go to
``bench/REMOTE.md``. Kept apart from the local runner (``bench/run.py``).
"""

import os
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Final

import requests

from bench.generate import generate
from bench.measure import Latency, geomean, latencies
from bench.mix import Query, mix, with_prefixes
from bench.peers import GRAPH
from bench.run import say
from civicgraph.config import from_env
from civicgraph.formats import by_name
from civicgraph.store import RemoteStore
from tests.live import LiveServer, OxigraphServer, VirtuosoServer

HERE: Final = Path(__file__).resolve().parent
REPORT: Final = HERE / "REMOTE.md"
SIZES: Final = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}
#: civicgraph's own limits are lifted so that it answers what the server answers.
CIVICGRAPH_ENV: Final = {
    "CIVICGRAPH_LOAD_BUNDLED": "false",
    "CIVICGRAPH_QUERY_TIMEOUT": "120",
    "CIVICGRAPH_ROW_CAP": "10000000",
}
#: Virtuoso's page buffers for the benchmark (8 KiB each); its default is 2,000.
VIRTUOSO_BUFFERS: Final = 40_000
Server = OxigraphServer | VirtuosoServer


@dataclass
class ServerResult:
    """One server at one size: the load through civicgraph and the query mix."""

    server: str
    label: str
    triples: int
    load_seconds: float = 0.0
    latency: dict[tuple[str, str], Latency] = field(default_factory=dict)

    @property
    def load_rate(self) -> float:
        """Triples per second loaded through civicgraph's remote store."""
        return self.triples / self.load_seconds if self.load_seconds else 0.0


@dataclass(frozen=True)
class Dataset:
    """The generated graph of one size and the mix that fits it."""

    label: str
    data: Path
    triples: int
    queries: tuple[Query, ...]


@contextmanager
def running(name: str, work: Path) -> Iterator[tuple[Server, dict[str, str]]]:
    """Start one server on a scratch directory; yields it and civicgraph's settings."""
    server: Server
    if name == "oxigraph":
        server = OxigraphServer(work / "oxigraph").start()
        env = {"CIVICGRAPH_STORE": server.query_url}
    else:
        server = VirtuosoServer(work / "virtuoso", buffers=VIRTUOSO_BUFFERS).start()
        env = server.env
    try:
        yield server, {**env, **CIVICGRAPH_ENV}
    finally:
        server.stop()


def direct(session: requests.Session, url: str, sparql: str, accept: str) -> int:
    """Ask the server itself, form-encoded (SPARQL 1.1 Protocol §2.1.2)."""
    response = session.post(url, data={"query": sparql}, headers={"Accept": accept}, timeout=300)
    response.raise_for_status()
    return len(response.content)


def through(session: requests.Session, base: str, sparql: str, accept: str) -> int:
    """Ask civicgraph's endpoint, which asks the server."""
    response = session.get(
        f"{base}/sparql", params={"query": sparql}, headers={"Accept": accept}, timeout=300
    )
    response.raise_for_status()
    return len(response.content)


def _load(env: dict[str, str], data: Path) -> float:
    store = RemoteStore(from_env(env))
    began = time.perf_counter()
    store.load(data, by_name("ntriples"), GRAPH)
    seconds = time.perf_counter() - began
    store.close()
    return seconds


def _wait_for_network(base: str, limit: float = 900.0) -> None:
    """Let the network explorer finish its background work before timing queries."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if requests.get(f"{base}/api/graph/status", timeout=60).status_code != 503:
            return
        time.sleep(1)


def _measure(
    queries: tuple[Query, ...], calls: Mapping[str, Callable[[str, str], int]]
) -> dict[tuple[str, str], Latency]:
    timed: dict[tuple[str, str], Latency] = {}
    for query in queries:
        text = with_prefixes(query)
        each = latencies({name: partial(call, text, query.accept) for name, call in calls.items()})
        timed |= {(name, query.name): value for name, value in each.items()}
        say(
            f"    {query.name:<22} "
            + "  ".join(f"{n} {v.median * 1000:9.2f} ms" for n, v in each.items())
        )
    return timed


def run_server(name: str, dataset: Dataset, work: Path) -> ServerResult:
    """Load through civicgraph, then time the mix through civicgraph and directly."""
    result = ServerResult(name, dataset.label, dataset.triples)
    with running(name, work) as (server, env):
        result.load_seconds = _load(env, dataset.data)
        say(f"  {name}: loaded {dataset.triples:,} triples in {result.load_seconds:.1f} s")
        app = LiveServer(work / f"civicgraph-{name}", env).start()
        try:
            _wait_for_network(app.url)
            session = requests.Session()
            calls = {
                "civicgraph": partial(through, session, app.url),
                "direct": partial(direct, session, server.query_url),
            }
            result.latency = _measure(dataset.queries, calls)
        finally:
            app.stop()
    return result


def render(results: list[ServerResult]) -> str:
    """The report: load rates, then each query's medians and ratios, per server."""
    lines = [
        "# civicgraph over a remote SPARQL server",
        "",
        "`BENCH_REMOTE=1 make bench`: each server loaded through civicgraph's remote store,",
        "then each query timed through `civicgraph serve` (over the server) and on the",
        "server directly, interleaved call by call. Medians in milliseconds.",
        "",
        "| server | size | triples | load through civicgraph | triples/s |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.server} | {r.label} | {r.triples:,} | {r.load_seconds:.1f} s | {r.load_rate:,.0f} |"
        for r in results
    ]
    for r in results:
        lines += [
            "",
            f"## {r.server}, {r.label}",
            "",
            "| query | civicgraph | direct | ratio |",
            "|---|---|---|---|",
        ]
        ratios = []
        for query in sorted(
            {q for _, q in r.latency}, key=list(dict.fromkeys(q for _, q in r.latency)).index
        ):
            ours, theirs = (
                r.latency[("civicgraph", query)].median,
                r.latency[("direct", query)].median,
            )
            ratios.append(ours / theirs)
            lines.append(
                f"| {query} | {ours * 1000:.1f} | {theirs * 1000:.1f} | {ours / theirs:.2f} |"
            )
        lines.append(f"| geometric mean of ratios | | | {geomean(ratios):.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the sizes in ``BENCH_SIZES`` (default 100k) over every server."""
    labels = [s.strip() for s in os.environ.get("BENCH_SIZES", "100k").split(",")]
    results: list[ServerResult] = []
    for label in labels:
        work = Path("var/bench-remote") / label
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        data = work / "data.nt"
        triples, sizes = generate(SIZES[label], data)
        say(f"{label}: {triples:,} triples")
        dataset = Dataset(label, data, triples, mix(sizes.initiatives))
        results += [run_server(name, dataset, work) for name in ("oxigraph", "virtuoso")]
        shutil.rmtree(work, ignore_errors=True)
        REPORT.write_text(render(results), encoding="utf-8")  # each size as it is done
        say(f"Wrote {REPORT}")

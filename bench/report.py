"""``bench/REPORT.md``: latency per query, ratios to each peer, and the issue's targets.

A ratio above 1 means civicgraph took longer. Geometric means are over the SPARQL
mix, which every peer runs; the graph API rows are civicgraph's own.
"""

import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime

from bench.measure import Latency, geomean
from bench.run import PEERS, SizeResult

MIB = 1024 * 1024


def _ms(value: float) -> str:
    return f"{value * 1000:.2f}" if value < 10 else f"{value * 1000:,.0f}"


def ratios(result: SizeResult, peer: str) -> list[float]:
    """civicgraph's median over ``peer``'s, per SPARQL query of the mix."""
    return [
        result.latency[("civicgraph", q.name)].median / result.latency[(peer, q.name)].median
        for q in result.queries
    ]


#: Rows of civicgraph's own that are not plain graph API calls.
API_WHAT = {
    "view_settles_chromium": "network explorer: a hub's depth-2 view (≤ 500 nodes) settled in "
    "Chromium, from navigation",
}


def _cell(value: Latency) -> str:
    return f"{_ms(value.median)} / {_ms(value.p95)}"


def _query_table(result: SizeResult) -> list[str]:
    lines = [
        "| query | what | civicgraph median / p95 ms | oxigraph serve | rdflib "
        "| ÷ oxigraph | rdflib ÷ civicgraph |",
        "|---|---|---|---|---|---|---|",
    ]
    for q in result.queries:
        cells = " | ".join(_cell(result.latency[(p, q.name)]) for p in PEERS)
        cg = result.latency[("civicgraph", q.name)].median
        to_ox = cg / result.latency[("oxigraph", q.name)].median
        rd = result.latency[("rdflib", q.name)].median / cg
        lines.append(f"| `{q.name}` | {q.what} | {cells} | {to_ox:.2f}x | {rd:.1f}x |")
    for name, value in result.api.items():
        shown = _cell(value) if isinstance(value, Latency) else value
        what = API_WHAT.get(name, "civicgraph's graph API")
        lines.append(f"| `{name}` | {what} | {shown} | - | - | - | - |")
    ox, rd = geomean(ratios(result, "oxigraph")), 1 / geomean(ratios(result, "rdflib"))
    lines.append(f"| **geomean** | SPARQL mix | | | | **{ox:.2f}x** | **{rd:.1f}x** |")
    return lines


def _facts_table(result: SizeResult) -> list[str]:
    lines = [
        "| peer | load (triples/s) | memory serving (MiB) | start to first answer (s) "
        "| 8 clients, cheap query (req/s) |",
        "|---|---|---|---|---|",
    ]
    for peer in PEERS:
        facts = result.facts[peer]
        rate = result.triples / facts.load_seconds
        startup = f"{facts.startup:.2f}" if facts.startup is not None else "- (in process)"
        tput = f"{facts.throughput.per_second:,.0f}" if facts.throughput else "- (in process)"
        lines.append(f"| {peer} | {rate:,.0f} | {facts.memory / MIB:,.0f} | {startup} | {tput} |")
    return lines


@dataclass(frozen=True)
class Target:
    """One target of the issue: what was wanted, what was measured, and the gap."""

    name: str
    wanted: str
    measured: str
    gap: float  # measured over wanted, oriented so that above 1 is a miss

    def row(self) -> str:
        """A Markdown table row."""
        verdict = "yes" if self.gap <= 1 else f"no — missed by {self.gap:.2f}x"
        return f"| {self.name} | {self.wanted} | {self.measured} | {verdict} |"


def targets(result: SizeResult) -> list[Target]:
    """The issue's targets, at the size given (the issue states them at 1M triples)."""
    cg = result.facts["civicgraph"]
    to_ox = geomean(ratios(result, "oxigraph"))
    rd_speedup = 1 / geomean(ratios(result, "rdflib"))
    load_rate = result.triples / cg.load_seconds
    tput = cg.throughput.per_second if cg.throughput else 0.0
    startup = cg.startup or 0.0
    return [
        Target("query-mix geomean vs `oxigraph serve`", "≤ 1.2x", f"{to_ox:.2f}x", to_ox / 1.2),
        Target("query-mix geomean vs rdflib", "≥ 4x faster", f"{rd_speedup:.1f}x", 4 / rd_speedup),
        Target("load", "≥ 150,000 triples/s", f"{load_rate:,.0f}", 150_000 / load_rate),
        Target(
            "memory serving", "≤ 500 MiB", f"{cg.memory / MIB:,.0f} MiB", cg.memory / (500 * MIB)
        ),
        Target("8 clients, cheap query", "≥ 3,000 req/s", f"{tput:,.0f}", 3000 / max(tput, 1.0)),
        Target("start to first answer", "≤ 2 s", f"{startup:.2f} s", startup / 2),
    ]


def _targets(result: SizeResult) -> list[str]:
    lines = [
        f"Checked at {result.label} ({result.triples:,} triples):",
        "",
        "| target | wanted | measured | met? |",
        "|---|---|---|---|",
    ]
    return lines + [t.row() for t in targets(result)]


def render(results: list[SizeResult], notes: list[str]) -> str:
    """The whole report as Markdown."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    cpus = os.cpu_count()
    lines = [
        "# civicgraph benchmark",
        "",
        f"Written by `make bench` on {when}: {cpus} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.system()} {platform.release()}. "
        "Peers measured in the same run on the same generated graph (seeded): civicgraph "
        "over HTTP (`civicgraph serve`), `oxigraph serve` over HTTP with the union default "
        "graph, and rdflib's in-memory `Graph` with its own SPARQL engine in the benchmark "
        "process (answers serialized to SPARQL JSON or Turtle, as an rdflib-based endpoint "
        "would). HTTP clients run on the same machine over loopback. Ratios: civicgraph's "
        "median divided by the peer's (below 1 is faster than the peer).",
        "",
    ]
    for result in results:
        lines += [
            f"## {result.label}: {result.triples:,} triples ({result.seconds:.0f} s to run)",
            "",
        ]
        lines += [*_query_table(result), "", *_facts_table(result), ""]
    lines += ["## Targets", "", *_targets(results[-1]), ""]
    lines += ["## Notes", "", *notes]
    return "\n".join(lines) + "\n"

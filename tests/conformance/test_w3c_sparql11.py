"""Every W3C SPARQL 1.1 Protocol, Graph Store Protocol and Service Description case.

Run against the app as users run it (``civicgraph serve`` on a loopback port), over
raw HTTP. The suite is read from ``shared/conformance/w3c-sparql11`` beside the
repository; without it these tests are skipped and say why.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import URIRef

from tests.conformance.w3c import (
    SD,
    Case,
    Runner,
    conformance_dir,
    load_cases,
    sd_graph,
    sd_schema_problems,
    token,
)
from tests.live import LiveServer

REPO = Path(__file__).resolve().parents[2]
SUITE = conformance_dir(REPO)
CASES = load_cases(SUITE) if SUITE.is_dir() else []
EXCHANGE_CASES = [c for c in CASES if c.exchanges]
pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(
        not SUITE.is_dir(),
        reason=f"the W3C SPARQL 1.1 suite is not at {SUITE} (shared/conformance beside the repo)",
    ),
]


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    """A writable server with no bundled data, and a runner that knows its token."""
    secret = token()
    env = {"CIVICGRAPH_WRITE_TOKEN": secret, "CIVICGRAPH_LOAD_BUNDLED": "false"}
    server = LiveServer(tmp_path_factory.mktemp("w3c") / "store", env).start()
    yield Runner(server.url, secret)
    server.stop()


def test_the_suite_has_every_kind_of_case() -> None:
    suites = {c.suite for c in CASES}
    assert suites == {"protocol", "gsp", "sd"}
    assert len(EXCHANGE_CASES) >= 45


@pytest.mark.parametrize("case", EXCHANGE_CASES, ids=lambda c: c.id)
def test_exchange(runner: Runner, case: Case) -> None:
    runner.run(case)


def test_sd_returns_rdf(runner: Runner) -> None:
    for accept in ("text/turtle", "application/rdf+xml", "application/ld+json"):
        _, graph = sd_graph(runner, accept)
        assert len(graph) > 0


def test_sd_has_endpoint_triple(runner: Runner) -> None:
    _, graph = sd_graph(runner, "text/turtle")
    assert URIRef(runner.base_url + runner.query_path) in set(graph.objects(None, SD.endpoint))


def test_sd_conforms_to_schema(runner: Runner) -> None:
    _, graph = sd_graph(runner, "text/turtle")
    assert sd_schema_problems(graph) == []


def test_every_sd_case_is_covered() -> None:
    covered = {"returns-rdf", "has-endpoint-triple", "conforms-to-schema"}
    assert {c.name for c in CASES if c.suite == "sd"} == covered

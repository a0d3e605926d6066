"""A runner for the W3C SPARQL 1.1 Protocol, Graph Store and Service Description tests.

The manifests describe HTTP exchanges (``ht:Request`` with an ``ht:Response`` that
says which statuses, headers, booleans and graphs to expect). ``load_cases`` reads
them into plain objects; ``Runner`` sends each request to a live server over a raw
``http.client`` connection (so paths and bodies go out exactly as written) and
checks each answer.
"""

import http.client
import json
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

from rdflib import Dataset, Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS
from rdflib.term import Node

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
TEST_CLASSES = (MF.ProtocolTest, MF.GraphStoreProtocolTest, MF.ServiceDescriptionTest)
RESULT_TYPES = ("application/sparql-results+json", "application/sparql-results+xml")
TABULAR_TYPES = (*RESULT_TYPES, "text/csv", "text/tab-separated-values")
RDF_TYPES = ("text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json")
_RDFLIB_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/trig": "trig",
    "application/n-quads": "nquads",
}


def conformance_dir(repo_root: Path) -> Path:
    """Where the suite lives: ``shared/`` beside the repository, else the machine's copy."""
    beside = repo_root.parent / "shared" / "conformance" / "w3c-sparql11"
    return beside if beside.is_dir() else Path("/work/shared/conformance/w3c-sparql11")


@dataclass(frozen=True)
class Expected:
    """What a response must show; empty fields are not checked."""

    statuses: tuple[str, ...]
    boolean: bool | None = None
    result_format: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None
    location_variable: str | None = None


@dataclass(frozen=True)
class Exchange:
    """One request of a test and what its response must be."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    expected: Expected


@dataclass(frozen=True)
class Case:
    """One test: its name, the graphs it needs, and its exchanges in order."""

    suite: str
    name: str
    title: str
    graph_data: tuple[tuple[Path, str], ...] = ()
    exchanges: tuple[Exchange, ...] = ()

    @property
    def id(self) -> str:
        """The pytest id: suite and local name."""
        return f"{self.suite}:{self.name}"


def _items(graph: Graph, node: Node | None) -> list[Node]:
    return list(Collection(graph, node)) if node is not None else []


def _headers(graph: Graph, node: Node) -> tuple[tuple[str, str], ...]:
    found = []
    for header in _items(graph, graph.value(node, HT.headers)):
        name, value = graph.value(header, HT.fieldName), graph.value(header, HT.fieldValue)
        found.append((str(name).lower(), str(value)))
    return tuple(found)


def _body_text(graph: Graph, node: Node) -> tuple[str, str] | None:
    body = graph.value(node, HT.body)
    if body is None:
        return None
    encoding = str(graph.value(body, CNT.characterEncoding) or "UTF-8")
    return str(graph.value(body, CNT.chars)), encoding


def _expected(graph: Graph, response: Node) -> Expected:
    boolean = graph.value(response, MF.expectedBoolean)
    fmt = graph.value(response, MF.expectedFormat)
    body = _body_text(graph, response)
    location = graph.value(response, MF.expectedLocation)
    return Expected(
        statuses=tuple(
            sorted(str(s).rsplit("#", 1)[-1] for s in graph.objects(response, MF.expectedStatus))
        ),
        boolean=None if boolean is None else bool(boolean.toPython()),
        result_format=None if fmt is None else str(fmt),
        headers=_headers(graph, response),
        body=None if body is None else body[0],
        location_variable=None if location is None else str(location),
    )


def _exchange(graph: Graph, request: Node) -> Exchange:
    body = _body_text(graph, request)
    return Exchange(
        method=str(graph.value(request, HT.methodName)),
        path=str(graph.value(request, HT.absolutePath)),
        headers=_headers(graph, request),
        body=None if body is None else body[0].encode(body[1]),
        expected=_expected(graph, graph.value(request, HT.resp)),
    )


def _graph_data(graph: Graph, test: Node, folder: Path) -> tuple[tuple[Path, str], ...]:
    found = []
    for data in graph.objects(test, UT.graphData):
        source = str(graph.value(data, UT.graph)).removeprefix("file://")
        found.append((folder / Path(source).name, str(graph.value(data, RDFS.label))))
    return tuple(found)


def _cases_in(path: Path, suite: str) -> Iterator[Case]:
    graph = Graph().parse(path, format="turtle", publicID=path.as_uri())
    tests = {t for cls in TEST_CLASSES for t in graph.subjects(RDF.type, cls)}
    for test in sorted(tests, key=str):
        action = graph.value(test, MF.action)
        requests = _items(graph, graph.value(action, HT.requests)) if action is not None else []
        yield Case(
            suite=suite,
            name=str(test).rsplit("#", 1)[-1],
            title=str(graph.value(test, MF.name)),
            graph_data=_graph_data(graph, test, path.parent),
            exchanges=tuple(_exchange(graph, r) for r in requests),
        )


def load_cases(root: Path) -> list[Case]:
    """Every test of the three suites, in a stable order."""
    manifests = [
        (root / "protocol" / "manifest.ttl", "protocol"),
        (root / "graph-store-protocol" / "manifest-direct.ttl", "gsp"),
        (root / "graph-store-protocol" / "manifest-indirect.ttl", "gsp"),
        (root / "service-description" / "manifest.ttl", "sd"),
    ]
    return [case for path, suite in manifests for case in _cases_in(path, suite)]


@dataclass
class Answer:
    """A response, read whole."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def media_type(self) -> str:
        """The bare media type of the response."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def _status_matches(status: int, names: tuple[str, ...]) -> bool:
    for name in names:
        if name.startswith("StatusCode") and str(status).startswith(name[len("StatusCode")]):
            return True
        if name in {s.phrase.replace(" ", "") for s in HTTPStatus if s.value == status}:
            return True
    return False


def parse_rdf(body: bytes, media_type: str, base: str) -> Graph:
    """Parse RDF with rdflib, an implementation independent of the server.

    Quads of every graph are merged into one graph: a graph read in N-Quads or TriG
    keeps its graph name, and the triples are what is compared.
    """
    with warnings.catch_warnings():
        # rdflib's own JSON-LD and N-Quads parsers use APIs that rdflib itself deprecates.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="rdflib")
        dataset = Dataset().parse(data=body, format=_RDFLIB_FORMATS[media_type], publicID=base)
    union = Graph()
    for subject, predicate, obj, _ in dataset.quads():
        union.add((subject, predicate, obj))
    return union


def _boolean(answer: Answer) -> bool:
    if answer.media_type == "application/sparql-results+json":
        return bool(json.loads(answer.body)["boolean"])
    root = ElementTree.fromstring(answer.body)
    node = root.find("{http://www.w3.org/2005/sparql-results#}boolean")
    assert node is not None, answer.body
    return node.text == "true"


@dataclass
class Runner:
    """Sends a case's requests to a server and checks every answer."""

    base_url: str
    token: str
    query_path: str = "/sparql"
    update_path: str = "/update"
    store_path: str = "/store"
    variables: dict[str, str] = field(default_factory=dict)

    def send(self, method: str, path: str, headers: dict[str, str], body: bytes | None) -> Answer:
        """One raw HTTP exchange."""
        parts = urlsplit(self.base_url)
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
            found = {k.lower(): v for k, v in response.getheaders()}
            return Answer(response.status, found, content)
        finally:
            connection.close()

    def _is_update(self, case: Case, exchange: Exchange) -> bool:
        """The protocol suite sends updates to /sparql/ too; this server has /update."""
        content_type = dict(exchange.headers).get("content-type", "")
        if content_type.startswith("application/sparql-update"):
            return True
        if exchange.method != "POST" or content_type.startswith("application/sparql-query"):
            return False
        return "update" in case.name

    def _path(self, case: Case, exchange: Exchange) -> str:
        path = exchange.path
        for name, value in self.variables.items():
            path = path.replace(name, value)
        if path.startswith("/gsp"):
            return self.store_path + path[len("/gsp") :]
        rest = path[len("/sparql/") :]
        target = self.update_path if self._is_update(case, exchange) else self.query_path
        return target + rest

    def prepare(self, case: Case) -> None:
        """Empty the store, then load the case's graphs through the Graph Store Protocol."""
        headers = self._auth({"Content-Type": "application/sparql-update"})
        answer = self.send("POST", self.update_path, headers, b"DROP ALL")
        assert answer.status == 204, answer
        self.variables.clear()
        for source, graph in case.graph_data:
            headers = self._auth({"Content-Type": "application/n-triples"})
            path = f"{self.store_path}?graph={graph}"
            answer = self.send("PUT", path, headers, source.read_bytes())
            assert answer.status in (201, 204), answer

    def _auth(self, headers: dict[str, str]) -> dict[str, str]:
        return {**headers, "Authorization": f"Bearer {self.token}"}

    def run(self, case: Case) -> None:
        """Run every exchange of a case in order, asserting on each answer."""
        self.prepare(case)
        for number, exchange in enumerate(case.exchanges, 1):
            body = exchange.body
            for name, value in self.variables.items():
                body = body.replace(name.encode(), value.encode()) if body else body
            path = self._path(case, exchange)
            answer = self.send(exchange.method, path, self._auth(dict(exchange.headers)), body)
            where = f"{case.id} request {number}: {exchange.method} {path}"
            self.check(answer, exchange.expected, where, path)

    def check(self, answer: Answer, expected: Expected, where: str, path: str) -> None:
        """Assert that one answer is what the manifest expects."""
        assert _status_matches(answer.status, expected.statuses), (
            f"{where}: status {answer.status}, expected {expected.statuses}: {answer.body[:300]!r}"
        )
        for name, value in expected.headers:
            assert _same_header(answer.headers.get(name, ""), value), (
                f"{where}: header {name} is {answer.headers.get(name)!r}, expected {value!r}"
            )
        if expected.result_format is not None:
            allowed = {"boolean": RESULT_TYPES, "tabular": TABULAR_TYPES, "RDF": RDF_TYPES}
            assert answer.media_type in allowed[expected.result_format], where
        if expected.boolean is not None:
            assert _boolean(answer) is expected.boolean, f"{where}: {answer.body!r}"
        if expected.body is not None:
            found = parse_rdf(answer.body, answer.media_type, self.base_url + path)
            wanted = Graph().parse(data=expected.body, format="turtle")
            assert isomorphic(found, wanted), f"{where}: graph differs:\n{answer.body.decode()}"
        if expected.location_variable is not None:
            assert "location" in answer.headers, f"{where}: no Location header"
            self.variables[expected.location_variable] = answer.headers["location"]


def _same_header(found: str, wanted: str) -> bool:
    def normal(value: str) -> list[str]:
        return [part.strip().lower().replace('"', "") for part in value.split(";")]

    return normal(found) == normal(wanted)


def sd_graph(runner: Runner, accept: str) -> tuple[Answer, Graph]:
    """GET the service description in one RDF format and parse it with rdflib."""
    answer = runner.send("GET", runner.query_path, {"Accept": accept}, None)
    assert answer.status == 200, answer
    return answer, parse_rdf(answer.body, answer.media_type, runner.base_url + runner.query_path)


def _service_problems(graph: Graph, service: Node) -> list[str]:
    problems = []
    languages = {SD.SPARQL10Query, SD.SPARQL11Query, SD.SPARQL11Update}
    endpoints = list(graph.objects(service, SD.endpoint))
    if not endpoints or not all(isinstance(e, URIRef) for e in endpoints):
        problems.append("sd:Service needs sd:endpoint IRIs")
    found = set(graph.objects(service, SD.supportedLanguage))
    if not found or not found <= languages:
        problems.append(f"sd:supportedLanguage must be among the SPARQL languages: {found}")
    for prop in (SD.resultFormat, SD.feature, SD.defaultEntailmentRegime):
        if not all(isinstance(o, URIRef) for o in graph.objects(service, prop)):
            problems.append(f"{prop} value that is not an IRI")
    return problems


def _dataset_problems(graph: Graph, dataset: Node) -> list[str]:
    problems = []
    if (dataset, RDF.type, SD.Dataset) not in graph:
        problems.append("sd:defaultDataset that is not an sd:Dataset")
    for default in graph.objects(dataset, SD.defaultGraph):
        if (default, RDF.type, SD.Graph) not in graph:
            problems.append("sd:defaultGraph that is not an sd:Graph")
    for named in graph.objects(dataset, SD.namedGraph):
        names = list(graph.objects(named, SD.name))
        if len(names) != 1 or not isinstance(names[0], URIRef):
            problems.append("sd:NamedGraph without exactly one IRI sd:name")
    return problems


def sd_schema_problems(graph: Graph) -> list[str]:
    """Where a description breaks the SPARQL 1.1 Service Description vocabulary's rules."""
    services = list(graph.subjects(RDF.type, SD.Service))
    problems = [] if services else ["no sd:Service"]
    for service in services:
        problems += _service_problems(graph, service)
    for dataset in graph.objects(None, SD.defaultDataset):
        problems += _dataset_problems(graph, dataset)
    return problems


def token() -> str:
    """A fresh write token for a test server."""
    return os.urandom(16).hex()

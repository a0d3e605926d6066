"""Network views as GEXF, GraphML, Turtle and JSON-LD; linkable SPARQL downloads."""

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd
import pytest
import requests
from click.testing import CliRunner
from pyoxigraph import BlankNode, NamedNode, RdfFormat, parse

from civicgraph.cli import main
from civicgraph.client import ClientError, select
from civicgraph.vocab import ENTITY_BASE
from tests.live import LiveServer

CFA = ENTITY_BASE + "org/code-for-america"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def _get(server: LiveServer, path: str, **params: str) -> requests.Response:
    answer = requests.get(server.url + path, params=params, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer


@pytest.mark.parametrize(("name", "reader"), [("gexf", nx.read_gexf), ("graphml", nx.read_graphml)])
def test_view_opens_in_networkx(live_server: LiveServer, tmp_path: Path, name: str, reader) -> None:  # type: ignore[no-untyped-def]
    answer = _get(live_server, "/api/graph", focus="Code for America", format=name)
    assert "attachment" in answer.headers["Content-Disposition"]
    (tmp_path / f"view.{name}").write_bytes(answer.content)
    graph = reader(tmp_path / f"view.{name}")
    view = _get(live_server, "/api/graph", focus="Code for America").json()
    assert graph.number_of_nodes() == len(view["nodes"])
    assert graph.number_of_edges() == len(view["edges"])
    assert graph.nodes[CFA]["label"] == "Code for America"


def test_whole_network_as_graphml(live_server: LiveServer, tmp_path: Path) -> None:
    answer = _get(live_server, "/api/graph", format="graphml")
    (tmp_path / "all.graphml").write_bytes(answer.content)
    assert nx.read_graphml(tmp_path / "all.graphml").number_of_nodes() > 50


def test_view_as_turtle_holds_labels_relations_and_evidence(live_server: LiveServer) -> None:
    answer = _get(live_server, "/api/graph", focus="org/code-for-america", format="ttl")
    assert answer.headers["Content-Type"].startswith("text/turtle")
    triples = list(parse(answer.content, format=RdfFormat.TURTLE))
    labels = {t.object.value for t in triples if t.predicate.value == LABEL}
    assert "Code for America" in labels
    predicates = {t.predicate.value for t in triples}
    assert "http://www.w3.org/ns/prov#wasDerivedFrom" in predicates


def test_view_as_jsonld_is_compacted_against_the_published_context(
    live_server: LiveServer,
) -> None:
    body = _get(live_server, "/api/graph", focus="Code for America", format="jsonld").json()
    assert body["@context"] == live_server.url + "/context.jsonld"
    context = _get(live_server, "/context.jsonld").json()["@context"]
    assert context["civ"] == "https://w3id.org/civicgraph/ontology#"
    ids = {node["@id"] for node in body["@graph"]}
    assert "id:org/code-for-america" in ids
    body["@context"] = context
    turtle = _get(live_server, "/api/graph", focus="Code for America", format="ttl").content
    again = parse(json.dumps(body).encode(), format=RdfFormat.JSON_LD)
    assert _named(again) == _named(parse(turtle, format=RdfFormat.TURTLE))


def _named(found: Iterable[Any]) -> set[tuple[str, str, str]]:
    """Triples (or quads) whose subject is an IRI, as text: blank nodes differ per parse."""
    return {
        (str(t.subject), str(t.predicate), str(t.object))
        for t in found
        if isinstance(t.subject, NamedNode) and not isinstance(t.object, BlankNode)
    }


def test_unknown_export_format_is_a_400(live_server: LiveServer) -> None:
    answer = requests.get(f"{live_server.url}/api/graph", params={"format": "pdf"}, timeout=30)
    assert answer.status_code == 400
    assert "gexf" in answer.json()["detail"]


def test_sparql_csv_url_loads_in_pandas(live_server: LiveServer) -> None:
    query = (
        "SELECT ?name WHERE { ?p a <https://w3id.org/civicgraph/ontology#Person> ; "
        "<http://www.w3.org/2000/01/rdf-schema#label> ?name } ORDER BY ?name"
    )
    url = (
        requests.Request(
            "GET", f"{live_server.url}/sparql", params={"query": query, "format": "csv"}
        )
        .prepare()
        .url
    )
    frame = pd.read_csv(url)
    assert list(frame.columns) == ["name"]
    assert "Luke Fretwell" in set(frame["name"])


@pytest.mark.parametrize(
    ("name", "media"),
    [
        ("tsv", "text/tab-separated-values"),
        ("json", "application/sparql-results+json"),
        ("xml", "application/sparql-results+xml"),
    ],
)
def test_sparql_format_parameter_beats_a_browser_accept(
    live_server: LiveServer, name: str, media: str
) -> None:
    answer = requests.get(
        f"{live_server.url}/sparql",
        params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "format": name},
        headers={"Accept": "text/html"},
        timeout=30,
        allow_redirects=False,
    )
    assert (answer.status_code, answer.headers["Content-Type"].split(";")[0]) == (200, media)


@pytest.mark.parametrize(
    ("name", "media"),
    [("ttl", "text/turtle"), ("nt", "application/n-triples"), ("jsonld", "application/ld+json")],
)
def test_sparql_format_parameter_for_graphs(live_server: LiveServer, name: str, media: str) -> None:
    answer = _get(live_server, "/sparql", query=f"DESCRIBE <{CFA}>", format=name)
    assert answer.headers["Content-Type"].split(";")[0] == media


def test_sparql_format_that_cannot_carry_the_result_is_406(live_server: LiveServer) -> None:
    answer = requests.get(
        f"{live_server.url}/sparql",
        params={"query": f"DESCRIBE <{CFA}>", "format": "csv"},
        timeout=30,
    )
    assert answer.status_code == 406


@pytest.mark.parametrize("extension", ["gexf", "graphml", "ttl", "jsonld", "html"])
def test_cli_graph_writes_the_format_its_extension_names(
    bundled_dir: Path, tmp_path: Path, extension: str
) -> None:
    out = tmp_path / f"cfa.{extension}"
    args = ["graph", "Code for America", "-o", str(out), "--store", str(bundled_dir)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    if extension == "gexf":
        assert CFA in nx.read_gexf(out)
    elif extension == "graphml":
        assert CFA in nx.read_graphml(out)
    elif extension in {"ttl", "jsonld"}:
        fmt = RdfFormat.TURTLE if extension == "ttl" else RdfFormat.JSON_LD
        assert any(q.subject.value == CFA for q in parse(out.read_bytes(), format=fmt))
    else:
        assert "Code for America" in out.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_client_returns_a_typed_dataframe(live_server: LiveServer) -> None:
    frame = select(
        "SELECT ?name (COUNT(?m) AS ?memberships) WHERE { ?p a civ:Person ; rdfs:label ?name ;"
        " ^civ:member ?m } GROUP BY ?name ORDER BY DESC(?memberships) ?name",
        endpoint=f"{live_server.url}/sparql",
    )
    assert list(frame.columns) == ["name", "memberships"]
    assert frame["memberships"].dtype.kind == "i"
    assert len(frame) > 0


def test_client_says_what_the_endpoint_refused(live_server: LiveServer) -> None:
    with pytest.raises(ClientError, match="unknown keyword SELEKT"):
        select("SELEKT ?x WHERE { ?x ?p ?o }", endpoint=f"{live_server.url}/sparql")


def test_example_notebook_runs_against_a_live_server(live_server: LiveServer) -> None:
    notebook = json.loads((Path(__file__).parents[1] / "docs" / "client-example.ipynb").read_text())
    namespace: dict[str, Any] = {}
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"]).replace("http://127.0.0.1:8000", live_server.url)
            exec(compile(source, "client-example.ipynb", "exec"), namespace)
    assert len(namespace["roles"]) > 0
    assert namespace["graph"].number_of_nodes() > 1

"""The home page says what the graph holds and where to go next."""

from flask.testing import FlaskClient

from civicgraph.formats import by_name
from civicgraph.store import EmbeddedStore
from civicgraph.vocab import GRAPH_BASE
from tests.conftest import client_over


def test_home_shows_counts_sources_version_and_ways_in(workbench_client: FlaskClient) -> None:
    html = workbench_client.get("/").get_data(as_text=True)
    assert '<a href="/browse/Nonprofit" title="All 2: Nonprofit">Nonprofit</a>' in html
    assert '(definition)</a></td><td class="num">2</td>' in html
    assert "Field notes on civic technology" in html
    assert "2019-03-22" in html
    for path in ('"/gallery"', '"/graph"', '"/ontology"', '"/export"', 'action="/search"'):
        assert path in html


def test_home_json_twin_has_sources_and_last_load(workbench_client: FlaskClient) -> None:
    body = workbench_client.get("/index.json").get_json()
    assert body["sources"][0]["label"] == "Field notes on civic technology"
    assert body["last_load"].startswith("20")
    assert {"label": "Nonprofit", "count": 2}.items() <= next(
        c for c in body["classes"] if c["name"] == "Nonprofit"
    ).items()


def test_graphs_outside_the_loaded_files_are_listed_by_their_whole_iri() -> None:
    store = EmbeddedStore()
    turtle = by_name("turtle")
    for graph in ("https://evil.example/x/people", GRAPH_BASE + "meta/", GRAPH_BASE + "people"):
        store.load(b"<https://e.example/s> <https://e.example/p> 1 .", turtle, graph)
    store.load(b"<https://e.example/s> <https://e.example/p> 2 .", turtle, None)
    html = client_over(store).get("/").get_data(as_text=True)
    graphs = html.split("<h2>Graphs</h2>", 1)[1].split("</ul>", 1)[0]
    assert (
        '<span title="https://evil.example/x/people">https://evil.example/x/people</span>' in graphs
    )
    assert f">{GRAPH_BASE}meta/</span>" in graphs
    assert f'<span title="{GRAPH_BASE}people">people</span>' in graphs
    default = next(line for line in graphs.split("<li>") if "default graph</span>" in line)
    assert "download" not in default  # the whole dataset's address would not be its
    assert "holds no named entity of a class the ontology knows" in html  # data, not empty


def test_an_empty_store_says_how_to_load_data() -> None:
    html = client_over(EmbeddedStore()).get("/").get_data(as_text=True)
    assert "The store is empty" in html

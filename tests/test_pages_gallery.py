"""The example gallery: at least twelve canned queries that parse, render and run."""

from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from civicgraph.errors import UserInputError
from civicgraph.readmodels import gallery
from civicgraph.store import EmbeddedStore, GraphStore
from civicgraph.store.results import SelectResult
from tests.conftest import load_workbench

EXAMPLES = gallery.gallery()


@pytest.fixture(scope="module")
def filled() -> EmbeddedStore:
    store = EmbeddedStore()
    load_workbench(store)
    return store


def test_gallery_has_at_least_twelve_documented_queries() -> None:
    assert len(EXAMPLES) >= 12
    assert all(q.title and q.description for q in EXAMPLES)
    assert sum(1 for q in EXAMPLES if q.params) >= 4


@pytest.mark.parametrize("query", EXAMPLES, ids=lambda q: q.name)
def test_each_example_renders_with_values_and_runs(
    filled: EmbeddedStore, query: gallery.CannedQuery
) -> None:
    values = {p.name: gallery.options(filled, p)[0][0] for p in query.params if p.class_iri}
    text = gallery.render(query, values)
    assert all(f"?{p.name}" in text for p in query.params)
    filled.query(text)


def test_a_rendered_example_keeps_its_title_but_not_its_form_lines() -> None:
    """The query of an example run for another organization said "# default: … Code
    for America" above the organization it was run for."""
    query = gallery.canned("07-roles-in-an-organization")
    chosen = "https://w3id.org/civicgraph/id/org/18f"
    text = gallery.render(query, {"org": chosen})
    assert f"<{chosen}>" in text
    assert "code-for-america" not in text
    assert "# default:" not in text
    assert "# param:" not in text
    assert text.startswith("# title: ")


def test_iri_parameter_refuses_anything_but_an_entity() -> None:
    query = gallery.canned("07-roles-in-an-organization")
    with pytest.raises(UserInputError, match="pick an entity"):
        gallery.render(query, {"org": "> } ; DROP ALL #"})


def test_date_parameter_is_checked_and_typed() -> None:
    query = gallery.canned("05-events-and-attendees")
    with pytest.raises(UserInputError, match="not a valid date"):
        gallery.render(query, {"since": "yesterday"})
    assert '"2019-02-09"^^<http://www.w3.org/2001/XMLSchema#date>' in gallery.render(
        query, {"since": "2019-02-09"}
    )


def test_gallery_page_lists_every_example(workbench_client: FlaskClient) -> None:
    html = workbench_client.get("/gallery").get_data(as_text=True)
    assert all(f'href="/gallery/{q.name}"' in html for q in EXAMPLES)


def test_example_form_offers_organizations_by_label(workbench_client: FlaskClient) -> None:
    html = workbench_client.get("/gallery/07-roles-in-an-organization").get_data(as_text=True)
    assert '<select id="param-org" name="org" required>' in html
    assert 'value="https://w3id.org/civicgraph/id/org/code-for-example"' in html


def test_open_redirects_to_the_editor_with_values_written_in(
    workbench_client: FlaskClient,
) -> None:
    iri = "https://w3id.org/civicgraph/id/org/code-for-example"
    response = workbench_client.get(
        "/gallery/07-roles-in-an-organization/open", query_string={"org": iri}
    )
    location = urlsplit(response.headers["Location"])
    assert (response.status_code, location.path) == (303, "/query")
    assert f"<{iri}>" in parse_qs(location.query)["query"][0]


def test_open_with_a_bad_value_shows_the_form_again(workbench_client: FlaskClient) -> None:
    response = workbench_client.get(
        "/gallery/05-events-and-attendees/open", query_string={"since": "soon"}
    )
    assert response.status_code == 400
    assert "not a valid date" in response.get_data(as_text=True)


def test_example_text_and_json_twins(workbench_client: FlaskClient) -> None:
    text = workbench_client.get("/gallery/06-founders.rq")
    assert text.mimetype == "application/sparql-query"
    assert text.get_data(as_text=True).startswith("# title:")
    body = workbench_client.get("/gallery.json").get_json()
    assert len(body) == len(EXAMPLES)


def test_unknown_example_is_404(workbench_client: FlaskClient) -> None:
    assert workbench_client.get("/gallery/nope").status_code == 404


def test_examples_answer_on_the_bundled_data(client: FlaskClient) -> None:
    store = client.application.extensions["civicgraph"].store
    answers = {}
    for query in EXAMPLES:
        values = {p.name: gallery.options(store, p)[0][0] for p in query.params if p.class_iri}
        response = client.get(
            "/sparql",
            query_string={"query": gallery.render(query, values)},
            headers={"Accept": "application/sparql-results+json, text/turtle"},
        )
        answers[query.name] = (response.status_code, response.get_data(as_text=True))
    assert {name: status for name, (status, _) in answers.items() if status != 200} == {}
    assert "Catherine Geanuracos" in answers["06-founders"][1]


@pytest.mark.parametrize("example", gallery.gallery(), ids=lambda q: q.name)
def test_every_example_opens_on_rows_of_the_bundled_data(
    bundled_store: GraphStore, example: gallery.CannedQuery
) -> None:
    """With its defaults, an example shows something: an empty first result teaches nothing."""
    result = bundled_store.query(gallery.render(example, {}))
    found = result.rows if isinstance(result, SelectResult) else getattr(result, "triples", ())
    assert found, example.name


def test_founders_oldest_first_lists_the_undated_last(bundled_store: GraphStore) -> None:
    """SPARQL sorts an unbound value first: "oldest first" opened on undated rows."""
    result = bundled_store.query(gallery.render(gallery.canned("06-founders"), {}))
    assert isinstance(result, SelectResult)
    dated = [row.get("date") is not None for row in result.dicts()]
    assert set(dated) == {True, False}  # both kinds, so the order is tested
    assert dated == sorted(dated, reverse=True)

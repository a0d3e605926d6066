"""Protocol ``using-graph-uri``/``using-named-graph-uri`` written into an update's text:
each operation that matches a pattern gets the clauses, in one pass, within a size."""

import pytest
import requests

from civicgraph.errors import PayloadTooLargeError, UserInputError
from civicgraph.sparql.using import with_using
from tests.conftest import WRITE_TOKEN
from tests.live import LiveServer

#: Room enough for every rewrite below.
ROOMY = 1 << 20


def test_using_goes_before_where_of_each_modify() -> None:
    text = "INSERT DATA { <a> <b> <c> } ; INSERT { ?s a <T> } WHERE { ?s ?p ?o }"
    rewritten = with_using(text, ["http://g1"], ["http://g2"], ROOMY)
    assert rewritten.endswith("USING <http://g1> USING NAMED <http://g2> WHERE { ?s ?p ?o }")
    assert rewritten.startswith("INSERT DATA { <a> <b> <c> } ;")


def test_delete_where_takes_using_in_its_long_form() -> None:
    rewritten = with_using("DELETE WHERE { ?s ?p ?o }", ["http://g"], [], ROOMY)
    assert rewritten == "DELETE { ?s ?p ?o } USING <http://g> WHERE { ?s ?p ?o }"


def test_delete_where_long_form_skips_a_brace_in_a_comment() -> None:
    rewritten = with_using("DELETE WHERE # { not this\n { ?s ?p ?o }", ["http://g"], [], ROOMY)
    assert rewritten.endswith("{ ?s ?p ?o } USING <http://g> WHERE { ?s ?p ?o }")
    assert rewritten.startswith("DELETE { ?s ?p ?o }")


def test_every_operation_gets_its_clauses_and_nested_braces_stay_in_the_pattern() -> None:
    text = (
        "PREFIX ex: <http://e/> DELETE WHERE { ?s ex:p ?o { ?o ?q '}' } } ;\n"
        "INSERT { ?s a ex:T } WHERE { ?s ?p ?o } ; DELETE WHERE { ?a ?b ?c }"
    )
    assert with_using(text, ["http://g"], [], ROOMY) == (
        "PREFIX ex: <http://e/> DELETE { ?s ex:p ?o { ?o ?q '}' } } USING <http://g> "
        "WHERE { ?s ex:p ?o { ?o ?q '}' } } ;\n"
        "INSERT { ?s a ex:T } USING <http://g> WHERE { ?s ?p ?o } ; "
        "DELETE { ?a ?b ?c } USING <http://g> WHERE { ?a ?b ?c }"
    )


def test_a_where_in_a_string_a_nested_group_or_a_data_block_takes_nothing() -> None:
    text = (
        "INSERT DATA { <a> <b> 'WHERE' } ; CLEAR ALL ; DELETE { ?s ?p ?o } WHERE { { ?s ?p ?o } }"
    )
    rewritten = with_using(text, ["http://g"], [], ROOMY)
    assert rewritten.count("USING") == 1
    assert rewritten.endswith("DELETE { ?s ?p ?o } USING <http://g> WHERE { { ?s ?p ?o } }")


def test_a_pattern_never_closed_is_taken_to_the_end() -> None:
    rewritten = with_using("DELETE WHERE { ?s ?p ?o", ["http://g"], [], ROOMY)
    assert rewritten == "DELETE { ?s ?p ?o USING <http://g> WHERE { ?s ?p ?o"


@pytest.mark.parametrize("operation", ["INSERT{}WHERE{};", "DELETE WHERE{};"])
def test_a_rewrite_past_the_limit_is_too_large_at_once(operation: str) -> None:
    """Every operation gets every clause: a long list of them over many operations
    would make the text gigabytes, so the rewrite stops at the limit."""
    text = operation * 4096
    graphs = [f"http://example.org/graph/{n}" for n in range(64)]
    with pytest.raises(PayloadTooLargeError, match="dataset written into each operation"):
        with_using(text, graphs, [], ROOMY)
    assert len(with_using(text, graphs[:1], [], ROOMY)) <= ROOMY


def _update(server: LiveServer, form: dict[str, str | list[str]]) -> requests.Response:
    return requests.post(
        f"{server.url}/update",
        data=form,
        headers={"Authorization": f"Bearer {WRITE_TOKEN}"},
        timeout=30,
    )


def _triples(server: LiveServer, graph: str) -> int:
    query = f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    answer = requests.get(f"{server.url}/sparql", params={"query": query}, timeout=10)
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


@pytest.mark.server
def test_a_delete_template_reads_the_graph_the_protocol_names(writable_server: LiveServer) -> None:
    """``DELETE { … } WHERE`` is not ``DELETE WHERE``: its ``WHERE`` takes the clauses
    as it stands (the word before it once had it rewritten into text that is not SPARQL)."""
    graph = "urn:test:using-delete"
    inserted = _update(
        writable_server, {"update": f"INSERT DATA {{ GRAPH <{graph}> {{ <a:s> <a:p> <a:o> }} }}"}
    )
    assert inserted.status_code == 204
    deleting = f"DELETE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}"
    deleted = _update(writable_server, {"update": deleting, "using-graph-uri": graph})
    assert deleted.status_code == 204, deleted.text
    assert _triples(writable_server, graph) == 0


@pytest.mark.server
def test_an_update_past_the_limit_once_rewritten_is_413_and_changes_nothing(
    writable_server: LiveServer,
) -> None:
    graph = "urn:test:using-too-large"
    inserted = _update(
        writable_server, {"update": f"INSERT DATA {{ GRAPH <{graph}> {{ <a:s> <a:p> <a:o> }} }}"}
    )
    assert inserted.status_code == 204
    operation = f"DELETE WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }};"
    graphs = [f"{graph}/{n}" for n in range(16)]
    answer = _update(writable_server, {"update": operation * 10_000, "using-graph-uri": graphs})
    assert answer.status_code == 413
    assert "dataset written into each operation" in answer.json()["detail"]
    assert _triples(writable_server, graph) == 1


def test_an_update_read_only_in_part_takes_no_clauses() -> None:
    """Read as pyoxigraph reads it, ``USING`` would have gone into a string of the first
    operation and not into the second."""
    text = (
        "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(?o<?o2&&'x>'!='}') } ;\n"
        "INSERT { ?s <p:z> 'a;INSERT{}WHERE{}' } WHERE { ?s ?p ?o }"
    )
    with pytest.raises(UserInputError, match="could not be read from line 1, column 47"):
        with_using(text, ["http://g"], [], ROOMY)

"""Entities named the way people name them, in the API, the explorer's URLs and the CLI."""

from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from civicgraph.cli import main
from civicgraph.errors import AmbiguousNameError, UnknownNameError
from civicgraph.readmodels.names import display_name, resolve
from civicgraph.readmodels.search import SearchIndex
from civicgraph.store import GraphStore
from civicgraph.vocab import ENTITY_BASE
from tests.live import LiveServer

CFA = ENTITY_BASE + "org/code-for-america"
LUKE = ENTITY_BASE + "person/luke-fretwell"


@pytest.fixture(scope="module")
def index(bundled_store: GraphStore) -> SearchIndex:
    return SearchIndex.build(bundled_store)


@pytest.mark.parametrize(
    "text",
    [
        "Code for America",
        "code for AMERICA",
        "CfA",
        "org/code-for-america",
        "code-for-america",
        "/id/org/code-for-america",
        CFA,
    ],
)
def test_every_way_of_naming_resolves(index: SearchIndex, text: str) -> None:
    assert resolve(index, text) == CFA


def test_accents_do_not_matter(index: SearchIndex) -> None:
    assert resolve(index, "Lüke Frétwell") == LUKE


def test_an_entity_wins_over_documents_with_its_name(index: SearchIndex) -> None:
    assert resolve(index, "18F") == ENTITY_BASE + "org/18f"


def test_a_shared_name_offers_the_choice(index: SearchIndex) -> None:
    with pytest.raises(AmbiguousNameError) as caught:
        resolve(index, "ODI")
    assert len(caught.value.candidates) == 2
    assert all(c.iri.startswith(ENTITY_BASE + "org/") for c in caught.value.candidates)


def test_an_unknown_name_says_what_it_looks_like(index: SearchIndex) -> None:
    with pytest.raises(UnknownNameError) as caught:
        resolve(index, "Jenifer Pahlka")
    assert caught.value.candidates[0].label == "Jennifer Pahlka"
    assert (
        "Did you mean one of these?\n  - Jennifer Pahlka (Person): person/jennifer-pahlka"
        in str(caught.value)
    )


def test_api_focus_by_label(live_server: LiveServer) -> None:
    body = requests.get(
        f"{live_server.url}/api/graph", params={"focus": "luke fretwell"}, timeout=30
    )
    assert body.status_code == 200
    assert LUKE in {node["id"] for node in body.json()["nodes"]}


def test_api_ambiguous_name_answers_409_with_candidates(live_server: LiveServer) -> None:
    answer = requests.get(f"{live_server.url}/api/graph", params={"focus": "odi"}, timeout=30)
    assert answer.status_code == 409
    body = answer.json()
    assert body["error"] == "Ambiguous name"
    assert body["name"] == "odi"  # which of the request's names it was
    assert {c["label"] for c in body["candidates"]} >= {
        "Office of Digital Innovation (Government Operations Agency)",
        "Office of Data and Innovation",
    }
    assert all(c["iri"].startswith(ENTITY_BASE) for c in body["candidates"])


def test_api_unknown_name_answers_404_with_did_you_mean(live_server: LiveServer) -> None:
    answer = requests.get(
        f"{live_server.url}/api/graph", params={"focus": "Luke Fretwel"}, timeout=30
    )
    assert answer.status_code == 404
    assert answer.json()["candidates"][0]["iri"] == LUKE


def test_path_between_two_names(live_server: LiveServer) -> None:
    answer = requests.get(
        f"{live_server.url}/api/path",
        params={"from": "Luke Fretwell", "to": "Code for America"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["from"], body["to"]) == (LUKE, CFA)
    assert body["shortest"]


def test_cli_graph_takes_a_name(bundled_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "cfa.html"
    result = CliRunner().invoke(
        main, ["graph", "Code for America", "-o", str(out), "--store", str(bundled_dir)]
    )
    assert result.exit_code == 0, result.output
    assert "Code for America" in out.read_text(encoding="utf-8")


def test_cli_graph_lists_the_choices_for_a_shared_name(bundled_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "odi.html"
    result = CliRunner().invoke(main, ["graph", "ODI", "-o", str(out), "--store", str(bundled_dir)])
    assert result.exit_code == 1
    assert "Office of Digital Innovation" in result.output
    assert "org/office-of-data-and-innovation" in result.output
    assert not out.exists()


def test_explorer_boxes_show_names_not_iris(live_server: LiveServer) -> None:
    html = requests.get(
        f"{live_server.url}/graph",
        params={"focus": CFA, "from": LUKE, "to": ENTITY_BASE + "org/office-of-digital-innovation"},
        timeout=60,
    ).text
    assert 'name="focus" value="Code for America"' in html
    assert 'name="from" value="Luke Fretwell"' in html
    # the two offices once called "Office of Digital Innovation" have labels that differ
    assert 'value="Office of Digital Innovation (Government Operations Agency)"' in html


def test_display_name_keeps_unknown_text_as_typed(index: SearchIndex) -> None:
    assert display_name(index, "no such thing at all") == "no such thing at all"
    assert display_name(index, "org/code-for-america") == "Code for America"

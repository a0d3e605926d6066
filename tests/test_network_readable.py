"""Networks people can read: one colour per class everywhere, named communities,
paths that avoid documents, and one vis-network release in pages and exports."""

import json
import re
from pathlib import Path

import networkx as nx
import pytest

from civicgraph.dataset.loader import load_file
from civicgraph.network import NetworkExplorer, ViewRequest, find_paths, html
from civicgraph.network.analysis import communities, community_names
from civicgraph.network.colours import CLASS_COLOURS
from civicgraph.store import EmbeddedStore
from civicgraph.vocab import CIV
from tests.test_network import AGENCY, ALICE, BOB, FIXTURE, NEWS, NONPROFIT, PORTAL, REPORT, TEAM

WEB = Path(__file__).resolve().parent.parent / "web"
PERSON = CIV.Person.value


@pytest.fixture(scope="module")
def explorer() -> NetworkExplorer:
    store = EmbeddedStore()
    load_file(store, FIXTURE)
    return NetworkExplorer(store)


def test_class_colours_are_distinct() -> None:
    assert len(set(CLASS_COLOURS.values())) == len(CLASS_COLOURS)


def test_communities_are_named_by_their_best_connected_members(
    explorer: NetworkExplorer,
) -> None:
    projection = explorer.projection()
    graph = projection.graph
    found = communities(graph, "greedy")
    names = community_names(found, projection.degrees(), projection.label)
    assert len(names) == len(found)
    for members, name in zip(found, names, strict=True):
        assert name.split(", ")[0] in {graph.nodes[n]["info"].label for n in members}
        assert not name.startswith("Community ")


def test_aggregated_communities_carry_names() -> None:
    store = EmbeddedStore()
    load_file(store, FIXTURE)
    view = NetworkExplorer(store, node_cap=3).view(ViewRequest(overflow="community"))
    assert view.aggregated == "community"
    assert all(n.label[0].isalpha() and "Community " not in n.label for n in view.nodes)


def test_paths_do_not_pass_through_avoided_nodes(explorer: NetworkExplorer) -> None:
    graph: nx.MultiDiGraph = explorer.projection().graph
    projection = explorer.projection()
    documents = {projection.model.iri(n) for n in projection.documents().nonzero()[0]}
    assert documents == {REPORT, NEWS}
    both = find_paths(graph, ALICE, PORTAL)
    assert {p.nodes[1] for p in both.shortest} == {AGENCY}
    around = find_paths(graph, ALICE, PORTAL, avoid=frozenset({TEAM}))
    assert all(TEAM not in p.nodes for p in (*around.shortest, *around.simple))
    assert [p.nodes for p in around.shortest] == [(ALICE, AGENCY, NONPROFIT, PORTAL)]


def test_paths_may_end_at_a_document(explorer: NetworkExplorer) -> None:
    result = explorer.paths(REPORT, BOB)
    assert result.shortest
    assert result.shortest[0].nodes[0] == REPORT


def _version(path: Path) -> str:
    found = re.search(r"@version\s+(\S+)", path.read_text(encoding="utf-8")[:2000])
    assert found, path
    return found[1]


def test_pages_and_standalone_export_run_the_same_vis_network() -> None:
    pinned = json.loads((WEB / "package.json").read_text())["dependencies"]["vis-network"]
    locked = json.loads((WEB / "package-lock.json").read_text())["packages"]
    assert pinned == locked["node_modules/vis-network"]["version"] == html.VIS_VERSION
    assert _version(html.vis_assets()[0]) == html.VIS_VERSION
    built = WEB / "static" / "vendor" / "vis-network" / "vis-network.min.js"
    if built.exists():
        assert _version(built) == html.VIS_VERSION

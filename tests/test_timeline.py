"""The network as of a date, and what changed between two dates, over the bundled data."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from civicgraph.cli import main
from civicgraph.config import Settings
from civicgraph.dataset.loader import load_bundled
from civicgraph.network.model import EdgeInfo, NodeInfo
from civicgraph.network.timeline import Span, edge_span, node_span, parse_day
from civicgraph.store import EmbeddedStore
from civicgraph.webapp import create_app

ORG = "https://w3id.org/civicgraph/id/org/"
EIGHTEEN_F, USDS, ODI = (
    ORG + "18f",
    ORG + "us-digital-service",
    ORG + "office-of-digital-innovation",
)
CWS_2025 = "https://w3id.org/civicgraph/id/amount/cws-cdt-2025"
XSD = "https://w3id.org/civicgraph/ontology#"


@pytest.fixture(scope="module")
def bundled_client() -> Iterator[FlaskClient]:
    """An app over the bundled data, allowed to wait for its network to be built."""
    store = EmbeddedStore()
    load_bundled(store)
    app = create_app(Settings(store="memory", load_bundled=False, network_wait=60), store=store)
    yield app.test_client()
    store.close()


def _ids(client: FlaskClient, **args: str) -> set[str]:
    body = client.get("/api/graph", query_string={"isolated": "1", **args}).get_json()
    return {n["id"] for n in body["nodes"]}


def test_2016_shows_18f_and_usds_but_not_the_2019_office(bundled_client: FlaskClient) -> None:
    early = _ids(bundled_client, as_of="2016-01-01")
    assert {EIGHTEEN_F, USDS} <= early
    assert ODI not in early
    assert CWS_2025 not in early
    assert ODI in _ids(bundled_client, as_of="2020-01-01")


def test_the_view_names_its_day_and_its_undated_parts(bundled_client: FlaskClient) -> None:
    body = bundled_client.get("/api/graph", query_string={"as_of": "2020"}).get_json()
    assert body["as_of"] == "2020-01-01"
    shown = {n["id"] for n in body["nodes"]}
    assert set(body["undated"]["nodes"]) <= shown
    hidden = _ids(bundled_client, as_of="2020-01-01", undated="hide")
    assert not hidden & set(body["undated"]["nodes"])


def test_the_diff_lists_what_appeared_with_evidence(bundled_client: FlaskClient) -> None:
    body = bundled_client.get(
        "/api/graph/diff", query_string={"from": "2016-01-01", "to": "2020-01-01"}
    ).get_json()
    appeared = {n["id"] for n in body["nodes"] if n["change"] == "appeared"}
    assert ODI in appeared
    new_edges = [e for e in body["edges"] if e["change"] == "appeared"]
    assert new_edges
    assert all(e["evidence"] for e in new_edges)
    around = bundled_client.get(
        "/api/graph/diff", query_string={"from": "2016", "to": "2020", "focus": "org/18f"}
    ).get_json()
    ego = _ids(bundled_client, focus="org/18f", as_of="2020") | _ids(
        bundled_client, focus="org/18f", as_of="2016"
    )
    ends = {end for e in around["edges"] for end in (e["from"], e["to"])}
    assert EIGHTEEN_F in ends
    assert ends <= ego


@pytest.mark.parametrize(
    ("path", "args"),
    [
        ("/api/metrics", {"measure": "degree"}),
        ("/api/communities", {}),
        ("/api/path", {"from": "org/18f", "to": "org/us-digital-service"}),
    ],
)
def test_every_network_api_reads_the_day(
    bundled_client: FlaskClient, path: str, args: dict[str, str]
) -> None:
    response = bundled_client.get(path, query_string={"as_of": "2016-01-01", **args})
    assert response.status_code == 200, response.get_json()


def test_a_day_shows_the_whole_networks_slow_analytics(bundled_client: FlaskClient) -> None:
    """Computed for each day apart, every new day started a computation of its own,
    outside the time limit: a day shows the whole network's, for its own entities."""

    def ranks(**day: str) -> dict[str, float]:
        query = {"measure": "pagerank", **day}
        rows = bundled_client.get("/api/metrics", query_string=query).get_json()["values"]
        return {row["id"]: row["value"] for row in rows}

    whole, early = ranks(), ranks(as_of="2016-01-01")
    assert 0 < len(early) < len(whole)
    assert all(whole[iri] == value for iri, value in early.items())
    groups = bundled_client.get("/api/communities", query_string={"as_of": "2016-01-01"})
    found = [{m["id"] for m in c["members"]} for c in groups.get_json()["communities"]]
    assert all(found)
    assert set().union(*found) <= set(whole)


def test_the_diff_reads_a_name_and_its_days_either_way_round(
    bundled_client: FlaskClient,
) -> None:
    """The explorer sends the day compared with first, later or earlier: what appeared
    is always what came between the earlier day and the later one."""
    forward = {"from": "2016", "to": "2020", "focus": "org/18f"}
    expected = bundled_client.get("/api/graph/diff", query_string=forward).get_json()
    backward = {"from": "2020", "to": "2016", "focus": "18F"}  # by name, days reversed
    answer = bundled_client.get("/api/graph/diff", query_string=backward)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == expected
    assert (expected["from"], expected["to"]) == ("2016-01-01", "2020-01-01")


@pytest.mark.parametrize("day", ["last tuesday", "2015-13-45", "2015-02-30"])
def test_a_bad_date_is_a_clear_400(bundled_client: FlaskClient, day: str) -> None:
    response = bundled_client.get("/api/graph", query_string={"as_of": day})
    assert response.status_code == 400
    assert day in response.get_json()["detail"]
    missing = bundled_client.get("/api/graph/diff", query_string={"from": "2016"})
    assert missing.status_code == 400


def _node(*dates: tuple[str, str], group: str = XSD + "Organization") -> NodeInfo:
    return NodeInfo("x", "x", group, "", group, "", dates=dates)


def test_spans_read_years_months_and_open_ends() -> None:
    assert parse_day("2014") == "2014-01-01"
    founded = _node((XSD + "foundingDate", "2014"), (XSD + "dissolutionDate", "2016-02"))
    assert node_span(founded) == Span("2014-01-01", "2016-02-29")
    assert node_span(founded).holds_on("2016-02-29")
    assert not node_span(founded).holds_on("2016-03-01")
    planned = _node((XSD + "startDate", "2015-01-01"), (XSD + "plannedEndDate", "2015-06-01"))
    assert node_span(planned).holds_on("2030-01-01")
    event = _node((XSD + "startDate", "2019-05-01"), (XSD + "endDate", "2019-05-02"))
    assert node_span(_node(*event.dates, group=XSD + "Event")).holds_on("2024-01-01")
    assert edge_span(EdgeInfo("e", "p", "p", start="2018", end="2019")) == Span(
        "2018-01-01", "2019-12-31"
    )


def test_the_cli_draws_the_network_on_a_day(tmp_path: Path) -> None:
    store = tmp_path / "store"
    opened = EmbeddedStore(store)
    load_bundled(opened)
    opened.close()
    runner = CliRunner()
    out = tmp_path / "early.html"
    done = runner.invoke(
        main, ["graph", "org/18f", "--as-of", "2016-01-01", "-o", str(out), "--store", str(store)]
    )
    assert done.exit_code == 0, done.output
    assert "on 2016-01-01" in out.read_text(encoding="utf-8")


def test_an_entity_without_an_end_date_says_so(bundled_client: FlaskClient) -> None:
    page = bundled_client.get("/id/org/code-for-america").get_data(as_text=True)
    assert "not known to have ended" in page
    closed = bundled_client.get("/id/org/18f").get_data(as_text=True)
    assert "No end date is recorded" not in closed

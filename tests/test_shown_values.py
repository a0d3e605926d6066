"""Values as a reader sees them: large numbers grouped, pages and the explorer alike."""

import pytest
import requests
from pyoxigraph import Literal, NamedNode

from civicgraph.readmodels.labels import shown_value
from tests.live import LiveServer

XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.mark.parametrize(
    ("value", "datatype", "shown"),
    [
        ("1711011443", "decimal", "1,711,011,443"),
        ("-1500000.50", "decimal", "-1,500,000.50"),
        ("+25000", "integer", "+25,000"),
        ("85", "integer", "85"),
        ("007", "integer", "007"),
        ("1" * 5000, "integer", ",".join(["11", *["111"] * 1666])),  # past int()'s 4,300 digits
        ("2019", "gYear", "2019"),  # a year is not a quantity
        ("1.5E6", "double", "1.5E6"),
        ("a lot", "integer", "a lot"),  # ill-typed: as written
        ("١٢٣٤", "integer", "١٢٣٤"),  # digits Python reads but a reader would not expect grouped
    ],
)
def test_numbers_are_grouped_in_thousands_and_nothing_else_changes(
    value: str, datatype: str, shown: str
) -> None:
    assert shown_value(Literal(value, datatype=NamedNode(XSD + datatype))) == shown


def test_the_entity_page_groups_a_cost_and_keeps_it_as_written_in_the_tooltip(
    live_server: LiveServer,
) -> None:
    page = requests.get(live_server.url + "/id/amount/cws-cdt-2025", timeout=30).text
    assert f'title="1711011443 · {XSD}decimal">1,711,011,443</span>' in page


def test_the_explorer_panel_groups_it_too(live_server: LiveServer) -> None:
    brigades = "https://w3id.org/civicgraph/id/initiative/cfa-brigade-program"
    url = live_server.url + "/api/graph/node"
    node = requests.get(url, params={"id": brigades}, timeout=30).json()
    assert {"property": "member count", "value": "25,000"} in node["literals"]

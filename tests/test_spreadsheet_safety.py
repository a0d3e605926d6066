"""CSV and TSV meant for spreadsheets never start a cell with a formula.

Spreadsheet programs run a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and
some strip a leading tab or carriage return first) as a formula; the usual defence
is a leading ``'``, which they show as text. The project's own tables (network
metrics, web and CLI) are always neutralised. SPARQL CSV/TSV is a data interchange
format (SPARQL 1.1 Query Results CSV and TSV) read by programs, so the endpoint
writes values exactly unless the client asks for the spreadsheet variant
(``profile=spreadsheet`` on the media type), which the workbench's download
buttons do.
"""

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from civicgraph.cli import main
from tests.test_network import FIXTURE
from tests.test_network_web import client_over

FORMULAS = Path(__file__).parent / "data" / "spreadsheet-formulas.ttl"
HOSTILE = ["=1+1", "+1", "-2+3+cmd|' /C calc'!A0", "@SUM(1)", "\t=1", "\r=1"]
VALUES = " ".join('"' + h.replace("\t", "\\t").replace("\r", "\\r") + '"' for h in HOSTILE)
SELECT = f"SELECT ?v WHERE {{ VALUES ?v {{ {VALUES} }} }}"
RISKY = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def client() -> Iterator[FlaskClient]:
    """An app over the network fixture plus two people whose labels are formulas."""
    yield from client_over(FORMULAS, network_wait=30)


def _sparql(client: FlaskClient, accept: str) -> str:
    response = client.get("/sparql", query_string={"query": SELECT}, headers={"Accept": accept})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def test_sparql_csv_is_exact_for_programs(client: FlaskClient) -> None:
    rows = list(csv.reader(io.StringIO(_sparql(client, "text/csv"), newline="")))
    assert [r[0] for r in rows[1:]] == HOSTILE


@pytest.mark.parametrize("media", ["text/csv", "text/tab-separated-values"])
def test_sparql_spreadsheet_variant_neutralises_every_formula(
    client: FlaskClient, media: str
) -> None:
    text = _sparql(client, f"{media}; profile=spreadsheet")
    if media == "text/csv":
        cells = [r[0] for r in csv.reader(io.StringIO(text, newline=""))][1:]
    else:
        cells = [line.strip('"') for line in text.split("\n")[1:-1]]
    assert len(cells) == len(HOSTILE)
    assert [c for c in cells if c.startswith(RISKY)] == []
    assert all(c.startswith("'") for c in cells)


def test_workbench_downloads_ask_for_the_spreadsheet_variant(
    workbench_client: FlaskClient,
) -> None:
    html = workbench_client.get("/query").get_data(as_text=True)
    assert 'data-media-type="text/csv; profile=spreadsheet"' in html
    assert 'data-media-type="text/tab-separated-values; profile=spreadsheet"' in html


def _load_formulas(runner: CliRunner) -> None:
    for path in (FIXTURE, FORMULAS):
        result = runner.invoke(main, ["load", str(path)])
        assert result.exit_code == 0, result.output


def test_cli_metrics_csv_neutralises_labels(runner: CliRunner) -> None:
    _load_formulas(runner)
    result = runner.invoke(main, ["metrics", "--format", "csv"])
    labels = [row[1] for row in csv.reader(io.StringIO(result.output))][1:]
    assert '\'=HYPERLINK("http://example.org/","x")' in labels
    assert [label for label in labels if label.startswith(RISKY)] == []


def test_metrics_csv_download_neutralises_labels(client: FlaskClient) -> None:
    response = client.get("/api/metrics", query_string={"format": "csv"})
    assert response.status_code == 200
    labels = [row["label"] for row in csv.DictReader(io.StringIO(response.get_data(as_text=True)))]
    assert "'-2+3+cmd|' /C calc'!A0" in labels
    assert [label for label in labels if label.startswith(RISKY)] == []

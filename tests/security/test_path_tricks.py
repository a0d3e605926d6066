"""Graph names with path tricks are refused or sanitized; they never reach a file path."""

from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from civicgraph.cli import main
from tests.conftest import DATA

TRICKS = ["not an iri", "../../etc/passwd", "/etc/passwd", "http://example.org/../../etc/passwd"]


@pytest.mark.parametrize("graph", TRICKS)
def test_export_of_a_tricky_graph_name_is_a_4xx(secure_client: FlaskClient, graph: str) -> None:
    response = secure_client.get(
        "/export/download",
        query_string={"graph": graph, "format": "ttl"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code in {400, 404}
    assert response.get_json()["status"] == response.status_code


def test_a_stored_graph_with_dots_and_slashes_downloads_under_a_flat_name(
    secure_client: FlaskClient,
) -> None:
    graph = "https://w3id.org/civicgraph/graph/../../etc/passwd"
    secure_client.application.extensions["civicgraph"].store.update(
        f"INSERT DATA {{ GRAPH <{graph}> {{ <http://example.org/a> <http://example.org/b> 1 }} }}"
    )
    with secure_client.get("/export/download", query_string={"graph": graph}) as response:
        disposition = response.headers["Content-Disposition"]
    name = disposition.split("filename=", 1)[1]
    assert response.status_code == 200
    assert "/" not in name
    assert not name.startswith(".")


def test_cli_export_of_a_graph_that_is_not_an_iri_exits_1(
    runner: CliRunner, tmp_path: Path
) -> None:
    assert runner.invoke(main, ["load", str(DATA / "small.ttl")]).exit_code == 0
    result = runner.invoke(main, ["export", "--graph", "../etc/passwd", "-o", str(tmp_path / "x")])
    assert result.exit_code == 1
    assert "absolute IRI" in result.output
    assert not (tmp_path / "x").exists()

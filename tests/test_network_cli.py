"""``civicgraph graph`` and ``civicgraph metrics`` over the network fixture."""

from pathlib import Path

from click.testing import CliRunner

from civicgraph.cli import main
from tests.test_network import AGENCY, FIXTURE


def _loaded(runner: CliRunner) -> None:
    result = runner.invoke(main, ["load", str(FIXTURE)])
    assert result.exit_code == 0, result.output


def test_graph_writes_a_standalone_file(runner: CliRunner, tmp_path: Path) -> None:
    _loaded(runner)
    out = tmp_path / "view.html"
    result = runner.invoke(main, ["graph", "person/alice", "--depth", "2", "-o", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "Example Agency" in html
    assert "vis.Network" in html or "vis-network" in html


def test_graph_classes_option_narrows_the_view(runner: CliRunner, tmp_path: Path) -> None:
    _loaded(runner)
    out = tmp_path / "people.html"
    result = runner.invoke(main, ["graph", "--classes", "Person", "-o", str(out)])
    assert "3 nodes" in result.output


def test_graph_unknown_entity_fails_with_a_message(runner: CliRunner, tmp_path: Path) -> None:
    _loaded(runner)
    result = runner.invoke(main, ["graph", "person/nobody", "-o", str(tmp_path / "x.html")])
    assert result.exit_code == 1
    assert "No entity" in result.output


def test_metrics_csv_ranks_the_agency_first(runner: CliRunner) -> None:
    _loaded(runner)
    result = runner.invoke(main, ["metrics", "--measure", "betweenness", "--format", "csv"])
    lines = result.output.splitlines()
    assert lines[0] == "id,label,betweenness"
    assert lines[1].startswith(AGENCY)

"""The CLI through click's runner, over a real on-disk store."""

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from pyoxigraph import RdfFormat, parse
from rdflib import Graph
from rdflib.compare import isomorphic

from civicgraph.cli import main
from civicgraph.store import EmbeddedStore


def _ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_load_then_query_as_json(runner: CliRunner, data_dir: Path) -> None:
    _ok(runner, "load", str(data_dir / "small.ttl"))
    out = _ok(runner, "query", "SELECT (COUNT(*) AS ?n) { ?s a ?t }", "--format", "json")
    assert json.loads(out)["results"]["bindings"][0]["n"]["value"] == "2"


def test_query_from_file_as_table(runner: CliRunner, data_dir: Path, tmp_path: Path) -> None:
    _ok(runner, "load", str(data_dir / "small.ttl"))
    query = tmp_path / "labels.rq"
    query.write_text(
        "SELECT ?label { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } ORDER BY ?label"
    )
    out = _ok(runner, "query", f"@{query}", "--format", "table")
    assert out.splitlines()[0].strip() == "label"
    assert out.splitlines()[2].strip() == "Ada Example"


def test_broken_turtle_exits_1_naming_line_and_store_unchanged(
    runner: CliRunner, data_dir: Path
) -> None:
    _ok(runner, "load", str(data_dir / "small.ttl"))
    before = _ok(runner, "stats")
    result = runner.invoke(main, ["load", str(data_dir / "broken.ttl")])
    assert result.exit_code == 1
    assert "broken.ttl:4:" in result.output
    assert "Traceback" not in result.output
    assert _ok(runner, "stats") == before


def test_export_turtle_is_isomorphic_to_what_was_loaded(
    runner: CliRunner, data_dir: Path, tmp_path: Path
) -> None:
    _ok(runner, "load", str(data_dir / "small.ttl"))
    out = tmp_path / "out.ttl"
    _ok(runner, "export", "--format", "ttl", "-o", str(out))
    loaded = Graph().parse(data_dir / "small.ttl")
    assert isomorphic(Graph().parse(out), loaded)


def test_export_trig_keeps_named_graphs(runner: CliRunner, data_dir: Path, tmp_path: Path) -> None:
    _ok(runner, "load", str(data_dir / "small.ttl"))
    out = tmp_path / "out.trig"
    _ok(runner, "export", "--format", "trig", "-o", str(out))
    graphs = {q.graph_name.value for q in parse(path=str(out), format=RdfFormat.TRIG)}
    assert graphs == {"https://w3id.org/civicgraph/graph/small"}


def test_unknown_format_lists_valid_ones(runner: CliRunner) -> None:
    result = runner.invoke(main, ["export", "--format", "yaml"])
    assert result.exit_code == 2
    assert "turtle" in result.output


def test_stats_counts_graphs_and_classes(runner: CliRunner, data_dir: Path) -> None:
    _ok(runner, "load", str(data_dir / "small.ttl"))
    out = _ok(runner, "stats")
    assert "6 triples" in out.splitlines()[0] or "triples in" in out
    assert any(line.split()[:2] == ["Person", "1"] for line in out.splitlines())


def test_store_in_use_is_explained(runner: CliRunner, tmp_path: Path) -> None:
    holder = EmbeddedStore(tmp_path / "locked")
    result = runner.invoke(main, ["stats", "--store", str(tmp_path / "locked")])
    holder.close()
    assert result.exit_code == 1
    assert "in use by another process" in result.output


def test_validate_bundled_files_conforms(runner: CliRunner) -> None:
    files = sorted(str(p) for p in (Path(__file__).parent.parent / "graph_data").glob("*.ttl"))
    assert "conforms" in _ok(runner, "validate", *files)


def test_validate_rejects_broken_entity_with_report(runner: CliRunner, data_dir: Path) -> None:
    result = runner.invoke(main, ["validate", str(data_dir / "broken-entity.ttl")])
    assert result.exit_code == 1
    assert "person/nobody" in result.output
    assert "Traceback" not in result.output


def test_a_load_imports_no_web_app_analytics_or_http_client_and_compiles_no_lexer(
    tmp_path: Path,
) -> None:
    """Importing every subcommand took about a second before any work began; the HTTP
    client and package metadata a seventh and a twentieth of one, for a remote store
    and ``--version`` alone; ``xml.sax.saxutils`` brought an HTTP client too, and the
    lexer's pattern took 0.04 s to compile, neither of which a load uses."""
    data = tmp_path / "one.nt"
    data.write_text("<https://example.org/a> <https://example.org/p> <https://example.org/b> .\n")
    script = (
        "import sys\n"
        "from civicgraph.cli import main\n"
        f"main(['load', '--store', {str(tmp_path / 'store')!r}, {str(data)!r}],"
        " standalone_mode=False)\n"
        "from civicgraph.sparql.lexer import terminals\n"
        "unused = ('flask', 'networkx', 'gunicorn', 'requests', 'importlib.metadata',"
        " 'urllib.request')\n"
        "print(sorted(m for m in unused if m in sys.modules), terminals.cache_info().currsize)\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert "Loaded 1 triples" in found.stdout
    assert found.stdout.strip().endswith("[] 0")


def test_version_is_the_installed_packages(runner: CliRunner) -> None:
    from importlib.metadata import version  # noqa: PLC0415

    assert _ok(runner, "--version") == f"civicgraph, version {version('civicgraph')}\n"


def test_every_subcommand_is_listed_and_runs(runner: CliRunner) -> None:
    lines = _ok(runner, "--help").split("Commands:")[1].strip().splitlines()
    names = [line.split()[0] for line in lines]
    assert names == sorted(names)
    assert {"load", "query", "serve", "graph", "reproduce"} <= set(names)
    for name in names:
        assert "Usage: " in _ok(runner, name, "--help")

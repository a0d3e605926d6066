"""Research-object bundles: an RO-Crate of a query's result that reproduces byte for byte."""

import json
import zipfile
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from rocrate.rocrate import ROCrate

from civicgraph.cli import main
from civicgraph.resources import bundled_files
from tests.live import LiveServer

FOUNDERS = "06-founders"


@pytest.fixture(scope="module")
def bundle_server(tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    server = LiveServer(tmp_path_factory.mktemp("bundle") / "store").start()
    yield server  # type: ignore[misc]
    server.stop()


@pytest.fixture(scope="module")
def founders_bundle(bundle_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundle of the founders example, as the gallery page's button downloads it."""
    response = requests.get(f"{bundle_server.url}/gallery/{FOUNDERS}/bundle", timeout=60)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/zip"
    assert "ro-crate.zip" in response.headers["Content-Disposition"]
    path = tmp_path_factory.mktemp("bundles") / "founders.zip"
    path.write_bytes(response.content)
    return path


def test_the_bundle_is_an_ro_crate_with_query_result_sources_and_provenance(
    founders_bundle: Path, tmp_path: Path
) -> None:
    with zipfile.ZipFile(founders_bundle) as archive:
        names = set(archive.namelist())
        record = json.loads(archive.read("civicgraph.json"))
        result = archive.read("result.csv").decode()
        prov = archive.read("prov.ttl").decode()
        archive.extractall(tmp_path / "crate")
    assert {"ro-crate-metadata.json", "query.rq", "result.csv", "prov.ttl"} <= names
    assert record["title"].startswith("Who founded")
    assert result.startswith("founded,foundedLabel,founder,founderLabel,date")
    assert "http://www.w3.org/ns/prov#wasGeneratedBy" in prov

    crate = ROCrate(str(tmp_path / "crate"))
    files = {e.id: e for e in crate.get_entities() if "File" in e.type}
    assert files["query.rq"]["encodingFormat"] == "application/sparql-query"
    cited = crate.root_dataset["citation"]
    assert cited, "the evidence behind the founders cites source documents"
    assert all(c.id.startswith("https://w3id.org/civicgraph/id/") for c in cited)


def _store_with_bundled_data(runner: CliRunner, folder: Path) -> str:
    store = str(folder / "fresh")
    files = [str(p) for p in bundled_files()]
    loaded = runner.invoke(main, ["load", "--store", store, *files])
    assert loaded.exit_code == 0, loaded.output
    return store


def test_a_bundle_reproduces_on_a_fresh_store_and_reports_a_change_after_a_write(
    founders_bundle: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    store = _store_with_bundled_data(runner, tmp_path)

    same = runner.invoke(main, ["reproduce", str(founders_bundle), "--store", store])
    assert same.exit_code == 0, same.output
    assert same.output.startswith("Byte-identical")

    founder = tmp_path / "founder.ttl"
    founder.write_text(
        "<https://w3id.org/civicgraph/id/org/test-lab> "
        "<https://w3id.org/civicgraph/ontology#founder> "
        "<https://w3id.org/civicgraph/id/person/test-person> .\n"
    )
    wrote = runner.invoke(main, ["load", "--store", store, str(founder)])
    assert wrote.exit_code == 0, wrote.output
    after = runner.invoke(main, ["reproduce", str(founders_bundle), "--store", store])
    assert after.exit_code == 1
    assert "the data differs" in after.output


def test_bundle_refuses_what_it_cannot_bundle(bundle_server: LiveServer) -> None:
    empty = requests.get(f"{bundle_server.url}/bundle", timeout=10)
    assert empty.status_code == 400
    service = requests.get(
        f"{bundle_server.url}/bundle",
        params={"query": "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"},
        timeout=10,
    )
    assert service.status_code in {400, 403}
    wrong = requests.get(
        f"{bundle_server.url}/bundle",
        params={"query": "SELECT * { ?s ?p ?o } LIMIT 1", "format": "trig"},
        timeout=10,
    )
    assert wrong.status_code == 406
    tsv = requests.get(
        f"{bundle_server.url}/bundle",
        params={"query": "SELECT * { ?s ?p ?o } LIMIT 1", "format": "tsv"},
        timeout=30,
    )
    assert "result.tsv" in zipfile.ZipFile(BytesIO(tsv.content)).namelist()


@pytest.mark.heavy
def test_a_result_past_the_answer_byte_cap_is_not_bundled(
    start_server: Callable[..., LiveServer],
) -> None:
    server = start_server({"CIVICGRAPH_ANSWER_BYTE_CAP": str(100_000)})
    every = requests.get(
        f"{server.url}/bundle", params={"query": "SELECT * WHERE { ?s ?p ?o }"}, timeout=60
    )
    assert every.status_code == 400
    assert "MiB of terms" in every.json()["detail"]
    few = requests.get(
        f"{server.url}/bundle", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 5"}, timeout=60
    )
    assert few.status_code == 200
    assert few.headers["Content-Type"] == "application/zip"

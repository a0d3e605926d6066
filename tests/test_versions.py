"""Dataset versions: every write recorded, any two compared, any version downloaded as it was."""

import fcntl
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

import pytest
import requests
from click.testing import CliRunner
from flask.testing import FlaskClient
from pyoxigraph import CanonicalizationAlgorithm, Dataset, RdfFormat, parse

from civicgraph.cli import main
from civicgraph.dataset import loader, versions
from civicgraph.dataset.beside import Beside, Copied, rows_to_record
from civicgraph.dataset.loader import record_revision
from civicgraph.dataset.versions import (
    Version,
    VersionLog,
    canonical_rows,
    fingerprint,
    store_at,
)
from civicgraph.formats import Format, by_name
from civicgraph.readmodels.changes import entity_page, update_text
from civicgraph.store import EmbeddedStore, GraphStore
from civicgraph.store.base import GraphInfo
from tests.conftest import DATA
from tests.live import LiveServer

TOKEN = "versions-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
GRAPH = "https://w3id.org/civicgraph/graph/notes"
WRITE = (
    f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <https://w3id.org/civicgraph/id/person/ada-lovelace> "
    '<http://www.w3.org/2000/01/rdf-schema#label> "Ada \\"the\\" Lovelace"@en } }'
)


def _dataset(data: bytes) -> Dataset:
    """The quads of an N-Quads file, blank nodes canonicalised so that copies compare equal."""
    found = Dataset(parse(data, format=RdfFormat.N_QUADS))
    found.canonicalize(CanonicalizationAlgorithm.UNSTABLE)
    return found


def _nquads(server: LiveServer, **params: str) -> bytes:
    response = requests.get(
        f"{server.url}/export/download", params={"format": "nquads", **params}, timeout=30
    )
    response.raise_for_status()
    return response.content


def test_a_web_write_makes_a_version_whose_diff_is_exactly_that_write(
    start_server: Callable[..., LiveServer],
) -> None:
    server = start_server({"CIVICGRAPH_WRITE_TOKEN": TOKEN})
    before = requests.get(f"{server.url}/versions.json", timeout=10).json()["versions"]
    data_before = _nquads(server)
    requests.post(f"{server.url}/update", data={"update": WRITE}, headers=AUTH, timeout=10)

    versions = requests.get(f"{server.url}/versions.json", timeout=10).json()["versions"]
    assert len(versions) == len(before) + 1
    newest = versions[0]
    assert (newest["who"], newest["action"]) == ("write token", "SPARQL Update")
    assert (newest["added"], newest["removed"]) == ({GRAPH: 1}, {})

    number = newest["number"]
    diff = requests.get(
        f"{server.url}/versions/{number - 1}/diff/{number}", params={"format": "json"}, timeout=10
    ).json()
    assert (diff["added"], diff["removed"]) == (1, 0)
    [entity] = diff["entities"]
    assert entity["added"][0]["value"] == 'Ada "the" Lovelace'
    assert _dataset(_nquads(server, version=str(number - 1))) == _dataset(data_before)


def test_the_patch_and_the_update_text_apply_the_change(
    start_server: Callable[..., LiveServer],
) -> None:
    server = start_server({"CIVICGRAPH_WRITE_TOKEN": TOKEN})
    requests.post(f"{server.url}/update", data={"update": WRITE}, headers=AUTH, timeout=10)
    number = requests.get(f"{server.url}/versions.json", timeout=10).json()["versions"][0]["number"]
    base = f"{server.url}/versions/{number - 1}/diff/{number}"

    stored = requests.get(f"{server.url}/versions/{number}.rdfp", timeout=10).text
    assert stored.startswith("H id <urn:uuid:")
    patch = requests.get(base, params={"format": "patch"}, timeout=10).text
    row = f'"Ada \\"the\\" Lovelace"@en <{GRAPH}> .'
    assert row in patch
    assert row in stored

    replay = EmbeddedStore()
    replay.update(requests.get(base, params={"format": "update"}, timeout=10).text)
    assert [g.triples for g in replay.graphs() if g.iri == GRAPH] == [1]


def test_versions_page_feed_and_diff_page(start_server: Callable[..., LiveServer]) -> None:
    server = start_server({"CIVICGRAPH_WRITE_TOKEN": TOKEN})
    requests.post(f"{server.url}/update", data={"update": WRITE}, headers=AUTH, timeout=10)

    page = requests.get(f"{server.url}/versions", timeout=10)
    assert page.headers["Content-Type"].startswith("text/html")
    assert "SPARQL Update" in page.text

    feed = ET.fromstring(requests.get(f"{server.url}/versions.atom", timeout=10).content)
    atom = "{http://www.w3.org/2005/Atom}"
    titles = [e.findtext(f"{atom}title") for e in feed.iter(f"{atom}entry")]
    assert titles[0] is not None
    assert titles[0].endswith("SPARQL Update")

    newest = requests.get(f"{server.url}/versions.json", timeout=10).json()["versions"][0]
    assert "graphs" not in newest  # every graph's digest, in every version: the hash sums it
    assert newest["content_hash"]
    number = newest["number"]
    diff = requests.get(f"{server.url}/versions/{number - 1}/diff/{number}", timeout=10)
    assert "Ada &#34;the&#34; Lovelace" in diff.text or "Ada &quot;the&quot; Lovelace" in diff.text

    # Every page names the version as the log and the citations number it.
    home = requests.get(f"{server.url}/index.json", timeout=10).json()
    assert home["version_number"] == number
    named = f'<a href="/versions">version {number}</a> (content <code>{home["version"]}</code>)'
    assert named in requests.get(server.url, timeout=10).text
    assert named in requests.get(f"{server.url}/export", timeout=10).text
    assert f"version {number} of" in requests.get(f"{server.url}/cite", timeout=10).text


def test_a_large_change_is_shown_a_page_of_entities_at_a_time(
    runner: CliRunner, tmp_path: Path, start_server: Callable[..., LiveServer]
) -> None:
    """A first load changes every entity of its file; its diff pages through them."""
    data = tmp_path / "many.nt"
    rows = [
        f'<urn:e:{i:03d}> <urn:p> <urn:o:{i}> .\n<urn:e:{i:03d}> <urn:q> "{i}" .'
        for i in range(250)
    ]
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    store = tmp_path / "store"
    assert (
        runner.invoke(main, ["load", "--no-validate", "--store", str(store), str(data)]).exit_code
        == 0
    )
    server = start_server({}, store=store)
    base = f"{server.url}/versions/0/diff/1"

    pages = [
        requests.get(base, params={"format": "json", "page": n}, timeout=30).json()
        for n in (1, 3, 99)
    ]
    assert [(p["page"], p["pages"], p["entities_total"], p["added"]) for p in pages] == [
        (1, 3, 250, 500),
        (3, 3, 250, 500),
        (3, 3, 250, 500),
    ]
    assert [len(p["entities"]) for p in pages] == [100, 50, 50]
    assert pages[0]["entities"][0]["subject"] == "urn:e:000"
    assert pages[1]["entities"][-1]["subject"] == "urn:e:249"
    first = requests.get(base, timeout=30).text
    assert "1 to 100 below" in first
    assert 'rel="next"' in first
    assert first.count('class="entity-change"') == 100


def test_a_reload_of_a_graph_with_data_records_its_own_version(
    runner: CliRunner, tmp_path: Path
) -> None:
    """The second load's rows come from its checking process too, and are compared."""
    store, first, second = str(tmp_path / "store"), tmp_path / "a.nt", tmp_path / "b.nt"
    first.write_text("<urn:a> <urn:p> <urn:b> .\n<urn:a> <urn:p> <urn:c> .\n", encoding="utf-8")
    second.write_text("<urn:a> <urn:p> <urn:c> .\n<urn:a> <urn:p> <urn:d> .\n", encoding="utf-8")
    for path in (first, second):
        loaded = runner.invoke(main, ["load", "--store", store, "--graph", GRAPH, str(path)])
        assert loaded.exit_code == 0, loaded.output
        assert "Could not record" not in loaded.output
    latest = VersionLog(Path(store + "-versions")).latest()
    assert latest is not None
    assert (latest.number, latest.action) == (2, "load b.nt")
    assert (latest.added, latest.removed) == ({GRAPH: 1}, {GRAPH: 1})


def test_literals_with_line_separators_keep_their_rows_in_every_history_view(
    tmp_path: Path,
) -> None:
    """N-Triples writes U+2028 and its kin raw; a row is cut at newlines only."""
    store, log = EmbeddedStore(), VersionLog(tmp_path / "log")
    odd = '"a\u2028b\u2029c\u0085d"'
    writes = [
        f'INSERT DATA {{ GRAPH <{GRAPH}> {{ <urn:s> <urn:p> "plain" }} }}',
        f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <urn:s> <urn:p> {odd} . _:x <urn:p> {odd} }} }}",
        f'DELETE DATA {{ GRAPH <{GRAPH}> {{ <urn:s> <urn:p> "plain" }} }}',
    ]
    for write in writes:
        store.update(write)
        record_revision(store)
        assert log.record(store, who="test", action="write") is not None
    assert sum(map(len, log.change(1, 2).added.values())) == 2
    assert log.patch_text(2).count("\nA ") == 2
    assert len(log.state_at(2)[GRAPH]) == 3
    assert "DELETE DATA" in update_text(log.change(3, 1))


@pytest.mark.timed
def test_the_update_text_of_many_blank_node_rows_takes_seconds_at_most(tmp_path: Path) -> None:
    """Rows DELETE DATA cannot hold are left out by a set: a list made it quadratic
    (40k such rows took 7 s, and anyone can ask for a diff as an update)."""
    rows = [f'_:b{i} <urn:p> "{i}" .'.encode() for i in range(60_000)]
    change = versions.Change(1, 0, {}, {GRAPH: rows})
    started = time.monotonic()
    text = update_text(change)
    assert time.monotonic() - started < 8
    assert text.count("# ") >= 60_000


def test_blank_nodes_of_two_graphs_are_two_entities_in_a_diff(tmp_path: Path) -> None:
    """The log names blank nodes within each graph: the same name in two graphs is
    two nodes, and the diff shows two entities, each with its own graph."""
    store, log = EmbeddedStore(), VersionLog(tmp_path / "log")
    for graph in ("https://example.org/a", "https://example.org/b"):
        store.load(b'_:x <urn:p> "in a graph" .', by_name("turtle"), graph)
    assert log.record(store, who="test", action="load") is not None
    found = entity_page(log.change(0, 1), 1)
    assert found.total == 2
    assert [[v.graph for v in g.added] for g in found.groups] == [
        ["https://example.org/a"],
        ["https://example.org/b"],
    ]
    assert found.groups[0].label != found.groups[1].label  # each named with its graph


def test_a_diff_lists_the_datas_entities_before_other_terms_and_blank_nodes(
    tmp_path: Path,
) -> None:
    store, log = EmbeddedStore(), VersionLog(tmp_path / "log")
    data = (
        b'_:shape <urn:p> "a blank node" .\n'
        b'<https://w3id.org/civicgraph/ontology#Term> <urn:p> "a term" .\n'
        b'<https://w3id.org/civicgraph/id/person/ada> <urn:p> "an entity" .\n'
    )
    store.load(data, by_name("ntriples"), "https://example.org/g")
    assert log.record(store, who="test", action="load") is not None
    found = entity_page(log.change(0, 1), 1)
    assert [g.subject.rsplit("/", 1)[-1][:2] for g in found.groups] == ["ad", "on", "_:"]
    assert entity_page(log.change(0, 1), 1, per_page=1).groups[0].subject.endswith("ada")


def test_a_store_without_a_log_says_so(workbench_client: FlaskClient) -> None:
    page = workbench_client.get("/versions")
    assert b"keeps no version log" in page.data
    assert workbench_client.get("/index.json").get_json()["version_number"] is None
    assert b"Dataset version <code>" in workbench_client.get("/").data
    missing = workbench_client.get("/versions/1/diff/2", headers={"Accept": "application/json"})
    assert missing.status_code == 404
    assert "CIVICGRAPH_VERSIONS" in missing.get_json()["detail"]


def test_unknown_version_is_a_clear_404(start_server: Callable[..., LiveServer]) -> None:
    server = start_server()
    response = requests.get(
        f"{server.url}/export/download", params={"version": "999", "format": "nquads"}, timeout=10
    )
    assert response.status_code == 404
    assert "/versions" in response.json()["detail"]
    bad = requests.get(f"{server.url}/export", params={"version": "last"}, timeout=10)
    assert bad.status_code == 400


def test_cli_load_records_a_version_and_diff_prints_the_patch(
    runner: CliRunner, tmp_path: Path
) -> None:
    store = str(tmp_path / "cli")
    loaded = runner.invoke(main, ["load", "--store", store, str(DATA / "small.ttl")])
    assert loaded.exit_code == 0, loaded.output
    listed = runner.invoke(main, ["versions", "--store", store])
    assert "load small.ttl" in listed.output
    diff = runner.invoke(main, ["diff", "0", "1", "--store", store, "--format", "update"])
    assert diff.output.startswith("# From dataset version 0 to version 1.")
    assert "INSERT DATA" in diff.output


def test_a_load_whose_reader_stops_reading_records_its_version(
    runner: CliRunner, tmp_path: Path
) -> None:
    """``civicgraph load … | head -1``: the data was in the store with no version
    recorded for it, the command stopped at its second line of output."""
    store = str(tmp_path / "piped")
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first line
    files = [str(DATA / "small.ttl"), str(DATA / "network.ttl")]
    command = [sys.executable, "-m", "civicgraph", "load", "--store", store, *files]
    ran = subprocess.run(command, stdout=write, stderr=subprocess.PIPE, timeout=120, check=False)
    os.close(write)
    assert ran.returncode == 0, ran.stderr.decode()
    listed = runner.invoke(main, ["versions", "--store", store])
    assert "load small.ttl, network.ttl" in listed.output


def test_a_load_whose_log_folder_cannot_be_made_loads_and_says_so(
    runner: CliRunner, tmp_path: Path
) -> None:
    """A failing log only warns: the data is loaded all the same."""
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    store = str(tmp_path / "store")
    loaded = runner.invoke(
        main,
        ["load", "--store", store, str(DATA / "small.ttl")],
        env={"CIVICGRAPH_VERSIONS": str(tmp_path / "a-file" / "log")},
    )
    assert loaded.exit_code == 0, loaded.output
    assert "Loaded" in loaded.output
    assert EmbeddedStore(store).graphs()


def test_a_load_removes_what_a_killed_load_left_in_the_log_folder(tmp_path: Path) -> None:
    """A killed load's staging folder is unlocked and goes; one in use stays."""
    log = tmp_path / "log"
    left, busy = log / ".load-killed", log / ".load-running"
    for folder in (left, busy):
        folder.mkdir(parents=True)
        (folder / "lock").write_text("", encoding="utf-8")
        (folder / ".tmp-rows").write_bytes(b"<urn:a> <urn:b> <urn:c> .\n")
    with (busy / "lock").open("r") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        copy = Beside([DATA / "small.ttl"], rows_of={0}, staging=log, validate=False, limit=None)
        assert not left.exists()
        assert (busy / ".tmp-rows").exists()
        assert copy.rows()
        copy.summary()
    assert sorted(p.name for p in log.iterdir()) == [".load-running"]


def test_rows_staged_on_another_file_system_are_copied_into_the_log(tmp_path: Path) -> None:
    """The staging folder falls back to the system's temporary folder when the log's
    cannot be used; the record then copies the state file rather than renaming it."""
    shared = Path("/dev/shm")
    if not shared.is_dir() or shared.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs /dev/shm on a file system of its own")
    store, log = EmbeddedStore(), VersionLog(tmp_path / "log")
    store.load(b"<urn:a> <urn:b> <urn:c> .", by_name("ntriples"), GRAPH)
    rows = versions._graph_rows(store, GRAPH)
    with tempfile.TemporaryDirectory(dir=shared) as elsewhere:
        known = versions.stage(Path(elsewhere), rows)
        assert log.record(store, who="test", action="load", known_rows={GRAPH: known})
    assert log._state_rows(GRAPH) == rows
    assert log.change(0, 1).added == {GRAPH: rows}


@pytest.mark.parametrize("count", [0, 1, 8192, 8193, 20_000])
def test_a_staged_state_file_is_its_rows_one_per_line_with_their_digest(
    tmp_path: Path, count: int
) -> None:
    """``stage`` writes and hashes a state file a part at a time; the file and its
    digest are those of the rows joined whole, at every count around a part's size."""
    rows = [f"<urn:s{i:05}> <urn:p> <urn:o> .".encode() for i in range(count)]
    known = versions.stage(tmp_path, rows)
    whole = b"".join(row + b"\n" for row in rows)
    assert known.staged.read_bytes() == whole
    assert known.digest == hashlib.sha256(whole).hexdigest()
    assert known.triples == count


#: Literals a store writes back in another spelling, and blank nodes it names afresh.
RESPELLED = """@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<http://example.org/a> <http://example.org/p> "01"^^xsd:integer, "1.0"^^xsd:decimal,
    "1"^^xsd:boolean, "2019-01-01T00:00:00+00:00"^^xsd:dateTime, "Hi"@EN, "x\\u00e9" ;
  <http://example.org/q> [ <http://example.org/r> "b" ], ( 1 2 ) .
"""


def test_a_load_records_each_graph_as_the_store_holds_it(runner: CliRunner, tmp_path: Path) -> None:
    """The log takes a loaded graph's rows from the load's in-memory copy of the file;
    they must be the rows the store itself holds, respellings and blank nodes included.
    The second file replaces the first in their graph, so only its rows count."""
    first, second = tmp_path / "first.ttl", tmp_path / "second.ttl"
    first.write_text("<http://example.org/gone> <http://example.org/p> 1 .\n", encoding="utf-8")
    second.write_text(RESPELLED, encoding="utf-8")
    store = str(tmp_path / "store")
    command = ["load", "--store", store, "--graph", GRAPH, str(first), str(second)]
    assert runner.invoke(main, command).exit_code == 0

    latest = VersionLog(Path(store + "-versions")).latest()
    assert latest is not None
    assert latest.added == {GRAPH: 13}
    assert latest.content_hash == fingerprint(EmbeddedStore(store))


def test_a_start_reads_nothing_back_when_nothing_was_written_since_the_last_record(
    runner: CliRunner, tmp_path: Path
) -> None:
    store = str(tmp_path / "store")
    assert runner.invoke(main, ["load", "--store", store, str(DATA / "small.ttl")]).exit_code == 0
    log = VersionLog(Path(store + "-versions"))
    opened = EmbeddedStore(store)
    assert log.is_current(opened)

    opened.update(WRITE)
    assert log.is_current(opened), "a write civicgraph did not record is not seen here"
    record_revision(opened)
    assert not log.is_current(opened)
    assert log.record(opened, who="test", action="write") is not None
    assert log.is_current(opened)


class _Reading(EmbeddedStore):
    """The real store, noting which graphs a version record reads back from it."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.read: list[str | None] = []

    def dump(self, out: BinaryIO, fmt: Format, graphs: Sequence[str | None] | None = None) -> None:
        self.read += graphs or [None]
        super().dump(out, fmt, graphs)


def test_a_record_reads_back_only_the_graphs_a_write_may_have_changed(tmp_path: Path) -> None:
    store, log = _Reading(tmp_path / "store"), VersionLog(tmp_path / "log")
    first, second = tmp_path / "first.ttl", tmp_path / "second.ttl"
    first.write_text("<http://example.org/a> <http://example.org/p> 1 .\n", encoding="utf-8")
    second.write_text("<http://example.org/b> <http://example.org/p> 2 .\n", encoding="utf-8")
    one, two = loader.load_file(store, first).graph, loader.load_file(store, second).graph
    log.record(store, who="test", action="load")
    assert sorted(store.read) == [one, two]

    store.read.clear()  # a load changes its own graph's record only
    second.write_text("<http://example.org/b> <http://example.org/p> 3 .\n", encoding="utf-8")
    loader.load_file(store, second)
    assert _recorded(log, store) == {two: 1}
    assert store.read == [two]

    store.read.clear()  # any other write may have changed any graph
    store.update(
        f"INSERT DATA {{ GRAPH <{one}> {{ <http://example.org/a> <http://example.org/q> 4 }} }}"
    )
    loader.record_revision(store)
    assert _recorded(log, store) == {one: 1}
    assert sorted(store.read) == [one, two]

    store.read.clear()  # the same file again, at once: another load all the same
    loader.load_file(store, first)
    assert _recorded(log, store, removed=True) == {one: 1}
    assert store.read == [one]


def _recorded(log: VersionLog, store: GraphStore, *, removed: bool = False) -> dict[str, int]:
    version = log.record(store, who="test", action="write")
    assert version is not None
    return version.removed if removed else version.added


def test_a_load_whose_file_names_other_graphs_has_them_read_back(tmp_path: Path) -> None:
    """A TriG file's named graphs go into graphs of their own, with no load record."""
    store, log = _Reading(tmp_path / "store"), VersionLog(tmp_path / "log")
    path, other = tmp_path / "two.trig", "http://example.org/other"
    quad = "<http://example.org/a> <http://example.org/p> {value} ."
    for value in (1, 2):
        path.write_text(f"GRAPH <{other}> {{ {quad.format(value=value)} }}\n", encoding="utf-8")
        loader.load_file(store, path)
        log.record(store, who="test", action="load")
    assert other in store.read
    latest = log.latest()
    assert latest is not None
    assert latest.added == {other: 1}
    assert latest.content_hash == fingerprint(store)


def test_rows_copied_from_other_bytes_than_the_load_read_are_not_recorded(
    tmp_path: Path,
) -> None:
    """A file rewritten between the copy's read and the load's: the graph is read back."""
    path = tmp_path / "rewritten.ttl"
    path.write_text("<http://example.org/a> <http://example.org/p> 2 .\n", encoding="utf-8")
    store = EmbeddedStore()
    loaded = loader.load_file(store, path)
    row = b"<http://example.org/a> <http://example.org/p> 1 ."
    targets, counts = {loaded.graph: 0}, {loaded.graph: 1}
    known = versions.stage(tmp_path, [row])
    assert rows_to_record({0: Copied("0" * 64, known)}, store, targets, counts) == {}
    fresh = {0: Copied(loader.file_hash(path), known)}
    assert rows_to_record(fresh, store, targets, counts) == {loaded.graph: known}


def test_the_in_memory_copy_stages_the_rows_the_store_has(tmp_path: Path) -> None:
    """The second process writes the graph's state file as a record would write it."""
    path = tmp_path / "respelled.ttl"
    path.write_text(RESPELLED, encoding="utf-8")
    copy = Beside([path], rows_of={0}, staging=tmp_path / "log", validate=False, limit=None)
    store = EmbeddedStore()
    store.load(path, by_name("turtle"), GRAPH)
    out = BytesIO()
    store.dump(out, by_name("ntriples"), [GRAPH])
    rows = canonical_rows(out.getvalue())
    state = b"".join(row + b"\n" for row in rows)
    found = copy.rows()
    assert found is not None
    copied = found[0]
    assert copied.sha256 == loader.file_hash(path)
    assert copied.known.staged.parent.parent == tmp_path / "log"
    assert copied.known.staged.read_bytes() == state
    assert (copied.known.triples, copied.known.digest) == (
        len(rows),
        hashlib.sha256(state).hexdigest(),
    )
    assert copy.summary() is None
    assert not copied.known.staged.exists()  # what no record took goes with the process


def test_the_log_rebuilds_every_version_and_nets_out_undone_changes(tmp_path: Path) -> None:
    store = EmbeddedStore()
    log = VersionLog(tmp_path / "log")
    triple = '<http://example.org/a> <http://example.org/p> "é\\n" .'
    store.update(f"INSERT DATA {{ GRAPH <http://example.org/g> {{ {triple} }} }}")
    assert log.record(store, who="test", action="add") is not None
    assert log.record(store, who="test", action="nothing") is None
    store.update(f"DELETE DATA {{ GRAPH <http://example.org/g> {{ {triple} }} }}")
    log.record(store, who="test", action="remove")

    assert log.change(0, 2).is_empty
    assert log.change(1, 2).removed == {"http://example.org/g": [triple.encode()]}
    assert log.state_at(1) == {"http://example.org/g": [triple.encode()]}
    assert store_at(log, 1).has_graph("http://example.org/g")
    assert log.state_at(2) == {}


class _FailingOnce(VersionLog):
    """A real log whose first append fails, as on a full disk."""

    failed = False

    def _append(self, *args: Any, **kwargs: Any) -> Version:
        if not self.failed:
            self.failed = True
            raise OSError("No space left on device")
        return super()._append(*args, **kwargs)


def test_a_record_that_fails_leaves_the_change_to_the_next_one(tmp_path: Path) -> None:
    store, log = EmbeddedStore(), _FailingOnce(tmp_path / "log")
    triple = "<http://example.org/a> <http://example.org/p> 1"
    store.update(f"INSERT DATA {{ GRAPH <http://example.org/g> {{ {triple} }} }}")
    with pytest.raises(OSError, match="No space"):
        log.record(store, who="test", action="add")
    version = log.record(store, who="test", action="add")
    assert version is not None
    assert version.added == {"http://example.org/g": 1}
    assert not list((tmp_path / "log" / "state").glob(".tmp-*"))


def test_the_log_is_read_again_only_once_it_has_changed(tmp_path: Path) -> None:
    """A diff or a listing asks for the versions several times; the log, which grows by
    every graph's digest per version, is parsed once per change of the file."""
    store, log = EmbeddedStore(), VersionLog(tmp_path / "log")
    for value in (1, 2):
        store.update(f"INSERT DATA {{ <http://example.org/a> <http://example.org/p> {value} }}")
        record_revision(store)
        assert log.record(store, who="test", action="add") is not None
        first, again = log.versions(), log.versions()
        assert [v.number for v in first] == list(range(1, value + 1))
        assert first[-1] is again[-1]
        first.clear()  # a caller's list is its own
        assert len(log.versions()) == value


@pytest.mark.parametrize("number", [0, 7])
def test_a_version_that_was_never_recorded_is_not_found(tmp_path: Path, number: int) -> None:
    log = VersionLog(tmp_path / "log")
    store = EmbeddedStore()
    store.update("INSERT DATA { <http://example.org/a> <http://example.org/p> 1 }")
    log.record(store, who="test", action="add")
    with pytest.raises(Exception, match="No dataset version"):
        log.state_at(number)


def test_a_pinned_query_answers_from_its_version(start_server: Callable[..., LiveServer]) -> None:
    server = start_server({"CIVICGRAPH_WRITE_TOKEN": TOKEN})
    requests.post(f"{server.url}/update", data={"update": WRITE}, headers=AUTH, timeout=10)
    newest = requests.get(f"{server.url}/versions.json", timeout=10).json()["versions"][0]
    ask = f"ASK {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"
    json_accept = {"Accept": "application/sparql-results+json"}

    def answer(version: int) -> requests.Response:
        params = {"query": ask, "version": str(version)}
        return requests.get(f"{server.url}/sparql", params=params, headers=json_accept, timeout=60)

    assert answer(newest["number"]).json()["boolean"] is True
    assert answer(newest["number"] - 1).json()["boolean"] is False
    missing = answer(999)
    assert missing.status_code == 404
    assert f"the current one is version {newest['number']}" in missing.json()["detail"]
    refused = requests.get(
        f"{server.url}/sparql",
        params={"query": "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", "version": "1"},
        headers=json_accept,
        timeout=10,
    )
    assert refused.status_code in {400, 403}
    select = "SELECT ?s { ?s ?p ?o } LIMIT 1"
    params = {"query": select, "version": str(newest["number"] - 1), "format": "csv"}
    csv = requests.get(f"{server.url}/sparql", params=params, headers=json_accept, timeout=60)
    assert csv.headers["Content-Type"].startswith("text/csv")  # as unpinned: format= wins
    assert csv.text.splitlines()[0] == "s"
    # A format that cannot carry the answer is refused as on the current data (406).
    construct = {"query": "CONSTRUCT WHERE { ?s ?p ?o }", "version": str(newest["number"] - 1)}
    refused = requests.get(
        f"{server.url}/sparql", params=construct, headers=json_accept, timeout=60
    )
    assert refused.status_code == 406
    assert refused.json()["error"] == "Not acceptable"
    # The protocol's dataset holds at a version as it does now.
    count = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"
    for version in (None, newest["number"]):
        params = {"query": count, "default-graph-uri": "urn:empty:graph"}
        if version is not None:
            params["version"] = str(version)
        empty = requests.get(f"{server.url}/sparql", params=params, headers=json_accept, timeout=60)
        assert empty.json()["results"]["bindings"][0]["n"]["value"] == "0", version


@pytest.mark.timed
def test_a_pinned_query_past_the_time_limit_is_stopped_at_it(
    start_server: Callable[..., LiveServer],
) -> None:
    """Rebuilding the version and the query together, under the serving process's limit:
    the answer is the usual 503 within a second of it, and the other processes serve."""
    server = start_server({"CIVICGRAPH_QUERY_TIMEOUT": "2", "CIVICGRAPH_WRITE_TOKEN": TOKEN})
    requests.post(f"{server.url}/update", data={"update": WRITE}, headers=AUTH, timeout=10)
    newest = requests.get(f"{server.url}/versions.json", timeout=10).json()["versions"][0]
    endless = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    params = {"query": endless, "version": str(newest["number"] - 1)}
    started = time.monotonic()
    answer = requests.get(f"{server.url}/sparql", params=params, timeout=60)
    assert answer.status_code == 503
    assert time.monotonic() - started < 3.5
    cheap = requests.get(f"{server.url}/sparql", params={"query": "ASK {}"}, timeout=10)
    assert cheap.status_code == 200


def test_a_pinned_query_past_the_memory_budget_is_told_so(
    start_server: Callable[..., LiveServer],
) -> None:
    """The rebuilt version answers in a child with an address-space limit; an answer
    that passes it is the memory budget's 503, as for the current data."""
    budget = 64 * 1024 * 1024
    env = {"CIVICGRAPH_MEMORY_BUDGET": str(budget), "CIVICGRAPH_WRITE_TOKEN": TOKEN}
    server = start_server(env)
    requests.post(f"{server.url}/update", data={"update": WRITE}, headers=AUTH, timeout=10)
    newest = requests.get(f"{server.url}/versions.json", timeout=10).json()["versions"][0]
    doublings = "".join(f"BIND(CONCAT(?s{n}, ?s{n}) AS ?s{n + 1}) " for n in range(28))
    huge = f'SELECT (STRLEN(?s28) AS ?n) {{ BIND("0123456789" AS ?s0) {doublings}}}'
    for version in ({"version": str(newest["number"] - 1)}, {}):
        params = {"query": huge, **version}
        answer = requests.get(f"{server.url}/sparql", params=params, timeout=60)
        assert answer.status_code == 503, version
        assert answer.json()["error"] == "Memory limit", (version, answer.json())
        assert "64 MiB memory budget" in answer.json()["detail"]


@pytest.mark.timed
def test_history_past_the_time_limit_is_stopped_at_it(
    runner: CliRunner, tmp_path: Path, start_server: Callable[..., LiveServer]
) -> None:
    """Comparing versions and rebuilding one run under the serving process's limit, as
    a query does: anyone may ask, so none may hold a process past it."""
    many, one = tmp_path / "many.nt", tmp_path / "one.nt"
    many.write_text("".join(f'<urn:e:{i:06d}> <urn:p> "{i}" .\n' for i in range(300_000)))
    one.write_text('<urn:x> <urn:p> "x" .\n')
    store = tmp_path / "store"
    for data in (many, one):
        loaded = runner.invoke(main, ["load", "--no-validate", "--store", str(store), str(data)])
        assert loaded.exit_code == 0, loaded.output
    server = start_server({"CIVICGRAPH_QUERY_TIMEOUT": "0.25"}, store=store)

    for path in ("/versions/0/diff/1?format=json", "/export/download?version=1&format=nquads"):
        started = time.monotonic()
        answer = requests.get(server.url + path, timeout=60)
        assert answer.status_code == 503, path
        assert time.monotonic() - started < 2.0, path
        assert answer.json()["error"] == "Time limit"
        assert "dataset's history" in answer.json()["detail"]
    small = requests.get(f"{server.url}/versions/1/diff/2?format=json", timeout=10)
    assert small.status_code == 200
    assert small.json()["added"] == 1
    cheap = requests.get(f"{server.url}/sparql", params={"query": "ASK {}"}, timeout=10)
    assert cheap.status_code == 200
    # What is wrong with the request itself is said before any rebuilding.
    wrong = {
        "/versions/0/diff/1?format=bogus": 400,
        "/export/download?version=1&format=nquads&graph=urn:nope": 404,
        "/export/download?version=1&format=nquads&graph=not%20an%20iri": 400,
    }
    for path, status in wrong.items():
        assert requests.get(server.url + path, timeout=10).status_code == status, path


def test_a_pinned_answer_keeps_the_byte_cap(start_server: Callable[..., LiveServer]) -> None:
    env = {"CIVICGRAPH_ANSWER_BYTE_CAP": "20000", "CIVICGRAPH_WRITE_TOKEN": TOKEN}
    server = start_server(env)
    requests.post(f"{server.url}/update", data={"update": WRITE}, headers=AUTH, timeout=10)
    newest = requests.get(f"{server.url}/versions.json", timeout=10).json()["versions"][0]
    params = {"query": "SELECT * { ?s ?p ?o }", "version": str(newest["number"] - 1)}
    headers = {"Accept": "application/sparql-results+json"}
    answer = requests.get(f"{server.url}/sparql", params=params, headers=headers, timeout=60)
    assert answer.status_code == 200
    assert "X-Civicgraph-Truncated" in answer.headers
    assert len(answer.content) < 40_000
    # the rows it kept, as the current data's answer says them (it said 0)
    kept = int(answer.headers["X-Civicgraph-Truncated"])
    assert kept == len(answer.json()["results"]["bindings"]) > 0


def test_a_record_told_which_graphs_writes_touched_reads_only_those(tmp_path: Path) -> None:
    """The writer knows the graphs its uploads and drops changed: a small upload beside
    a million triples is recorded by reading that graph, not all of them. A graph
    outside those is taken as recorded (a change behind the writer's back stays unseen
    until that graph is read again)."""
    store, log = EmbeddedStore(), VersionLog(tmp_path / "log")
    for graph in ("https://example.org/a", "https://example.org/b"):
        store.load(b"<urn:s> <urn:p> 1 .", by_name("turtle"), graph)
    record_revision(store)
    assert log.record(store, who="test", action="load") is not None
    for graph in ("https://example.org/a", "https://example.org/b"):
        store.load(b"<urn:s> <urn:p> 2 .", by_name("turtle"), graph)
    record_revision(store)

    told = log.record(store, who="test", action="upload", touched={"https://example.org/b"})
    assert told is not None
    assert told.added == {"https://example.org/b": 1}
    record_revision(store)  # an update: it may have changed any graph
    untold = log.record(store, who="test", action="update")
    assert untold is not None
    assert untold.added == {"https://example.org/a": 1}


def test_a_row_added_removed_and_added_again_is_added(tmp_path: Path) -> None:
    store, log = EmbeddedStore(), VersionLog(tmp_path / "log")
    triple = "<http://example.org/a> <http://example.org/p> <http://example.org/b>"
    for verb in ("INSERT", "DELETE", "INSERT", "DELETE"):
        store.update(f"{verb} DATA {{ GRAPH <{GRAPH}> {{ {triple} }} }}")
        record_revision(store)
        assert log.record(store, who="test", action=verb) is not None
    row = [f"{triple} .".encode()]
    assert log.change(0, 3).added == {GRAPH: row}
    assert log.change(1, 4).removed == {GRAPH: row}
    assert log.change(0, 4).is_empty
    assert log.change(1, 3).is_empty


def test_a_published_patch_keeps_the_blank_nodes_of_two_graphs_apart(tmp_path: Path) -> None:
    store, log = EmbeddedStore(), VersionLog(tmp_path / "log")
    for graph in ("https://example.org/a", "https://example.org/b"):
        store.load(b'_:x <urn:p> "in a graph" .', by_name("turtle"), graph)
    store.load(b'_:x <urn:p> "in the default graph" .', by_name("turtle"), None)
    version = log.record(store, who="test", action="load")
    assert version is not None

    for text in (log.patch_text(version.number), log.change(0, version.number).as_patch()):
        rows = [line[2:] for line in text.splitlines() if line.startswith("A ")]
        quads = list(parse("\n".join(rows).encode(), format=RdfFormat.N_QUADS))
        assert len({q.subject for q in quads}) == 3
    assert store_at(log, version.number).graphs() == store.graphs()


@pytest.mark.parametrize("link", [True, False])
def test_a_graph_added_whole_keeps_its_rows_once_and_its_patch_as_before(
    tmp_path: Path, link: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A graph's first rows are kept as its state file under a second name (or a copy
    where the file system has no second names), not rewritten row by row; its patch
    reads as a row-by-row patch, and stays so when a later version replaces the state."""
    if not link:
        monkeypatch.setattr("os.link", _no_links)
    store, log = EmbeddedStore(), VersionLog(tmp_path / "log")
    ntriples = b'<urn:a> <urn:b> "a line .\\n and a full stop ." .\n<urn:a> <urn:b> _:x .\n'
    store.load(ntriples, by_name("ntriples"), "https://example.org/g")
    store.load(b"<urn:d> <urn:e> <urn:f> .", by_name("ntriples"), None)
    first = log.record(store, who="test", action="load")
    assert first is not None
    rows = {g: versions._graph_rows(store, g) for g in ("https://example.org/g", "")}
    expected = b"".join(versions._patch_rows("A", rows[g], g) for g in sorted(rows)).decode()
    kept = log._patch_kept(first.number)
    assert kept.endswith(expected + "TC .\n")
    assert (tmp_path / "log" / "patches" / f"{first.number:06d}.rdfp").stat().st_size < 80

    store.update("INSERT DATA { GRAPH <https://example.org/g> { <urn:a> <urn:b> 2 } }")
    record_revision(store)
    second = log.record(store, who="test", action="update")
    assert second is not None
    assert log._patch_kept(first.number) == kept
    assert log.change(0, first.number).added == rows
    assert store_at(log, first.number).graphs() == [
        GraphInfo(None, 1),
        GraphInfo("https://example.org/g", 2),
    ]


def _no_links(source: Path, target: Path) -> None:
    raise OSError("no hard links on this file system")


def test_a_diff_page_names_and_links_the_values_and_graphs(live_server: LiveServer) -> None:
    """Every value and graph was a bare IRI, and on a phone they broke mid-word."""
    number = requests.get(f"{live_server.url}/versions.json", timeout=10).json()["versions"][0]
    page = requests.get(
        f"{live_server.url}/versions/0/diff/{number['number']}?page=1",
        headers={"Accept": "text/html"},
        timeout=60,
    ).text
    assert re.search(r'<a href="/ontology#\w+" title="https://w3id.org/civicgraph/ontology#', page)
    assert re.search(r'<a href="/id/document/[\w-]+" title="[^"]+">[^<]*[ \w]', page)  # by name
    assert "in graph " in page
    assert "> in https://w3id.org/civicgraph/graph/" not in page

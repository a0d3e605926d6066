"""XML entity expansion and external entities in RDF/XML are refused before parsing."""

from pathlib import Path

import pytest
from click.testing import CliRunner
from pyoxigraph import RdfFormat, parse

from civicgraph.cli import main
from civicgraph.errors import UnsafeDocumentError
from civicgraph.formats import by_name
from civicgraph.results import AskResult
from civicgraph.store import GraphStore
from civicgraph.xmlsafety import check_rdfxml, declares_entities
from tests.security.hostile import billion_laughs, external_entity, flat_entities, rdfxml

RDFXML = by_name("rdfxml")
GRAPH = "http://example.org/g"


def test_pyoxigraph_itself_expands_nested_entities() -> None:
    """Why the guard exists: if this starts failing, pyoxigraph learned to refuse them."""
    quads = list(parse(billion_laughs(levels=4), RdfFormat.RDF_XML))
    assert len(quads[0].object.value) == 10_000


def test_pyoxigraph_itself_refuses_external_entities() -> None:
    with pytest.raises(SyntaxError):
        list(parse(external_entity("file:///etc/passwd"), RdfFormat.RDF_XML))


def test_billion_laughs_is_refused_and_the_graph_unchanged(store: GraphStore) -> None:
    store.load(b'<http://example.org/a> <http://example.org/b> "1" .', by_name("nt"), GRAPH)
    with pytest.raises(UnsafeDocumentError, match="refers to other entities"):
        store.load(billion_laughs(), RDFXML, GRAPH)
    assert [g.triples for g in store.graphs()] == [1]


@pytest.mark.parametrize(
    "subset",
    [
        '<!ENTITY x SYSTEM "file:///etc/passwd">',
        '<!ENTITY x PUBLIC "-//x//EN" "http://127.0.0.1:9/x.dtd">',
        "<!ENTITY % p \"<!ENTITY x 'y'>\"> %p;",
        '<!ENTITY y "yy"><!ENTITY x "&y;&y;">',
    ],
    ids=["system", "public", "parameter", "nested"],
)
def test_unsafe_declarations_are_refused(store: GraphStore, subset: str) -> None:
    with pytest.raises(UnsafeDocumentError):
        store.load(rdfxml(subset), RDFXML, GRAPH)


def test_lowercase_doctype_inside_the_root_element_is_still_seen(store: GraphStore) -> None:
    hidden = billion_laughs(levels=3).replace(b"<!DOCTYPE", b"<!doctype")
    with pytest.raises(UnsafeDocumentError):
        store.load(hidden, RDFXML, GRAPH)


def test_flat_entity_repeated_past_the_bound_is_refused() -> None:
    long_text = "a" * 10_000
    document = rdfxml(f'<!ENTITY x "{long_text}">', "&x;" * 200)
    with pytest.raises(UnsafeDocumentError, match="would expand by 2,000,000 bytes"):
        check_rdfxml(document)


def test_flat_entities_as_ontology_editors_write_them_load(store: GraphStore) -> None:
    assert store.load(flat_entities(), RDFXML, GRAPH) == 1
    result = store.query("ASK { <http://example.org/s> ?p <http://example.org/o> }")
    assert isinstance(result, AskResult)
    assert result.value


def test_a_declaration_across_a_chunk_boundary_is_found(tmp_path: Path) -> None:
    path = tmp_path / "big.rdf"
    path.write_bytes(b" " * (1024 * 1024 - 3) + b"<!ENTITY x 'y'>")
    assert declares_entities(path)


def test_cli_load_refuses_the_file_and_names_it(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "laughs.rdf"
    path.write_bytes(billion_laughs())
    result = runner.invoke(main, ["load", str(path)])
    assert result.exit_code == 1
    assert f"{path}: refused before parsing" in result.output


def test_cli_validate_refuses_the_file(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "laughs.rdf"
    path.write_bytes(billion_laughs())
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert "refused before parsing" in result.output

"""Documents that would exhaust the parser are refused before parsing.

XML entity expansion and external entities in RDF/XML, and JSON-LD or RDF/XML nested
deeper than the parser survives (a segmentation fault, a quadratic slowdown).
"""

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyoxigraph import RdfFormat, parse

from civicgraph.cli import main
from civicgraph.errors import UnsafeDocumentError
from civicgraph.formats import by_name
from civicgraph.store import GraphStore
from civicgraph.store.parsesafety import MAX_DEPTH, MAX_TERMS, check_before_parsing
from civicgraph.store.results import AskResult
from tests.security.hostile import (
    RDF_XML_ROOT,
    billion_laughs,
    external_entity,
    flat_entities,
    rdfxml,
)

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
        check_before_parsing(document, RdfFormat.RDF_XML, "upload")


def test_flat_entities_as_ontology_editors_write_them_load(store: GraphStore) -> None:
    assert store.load(flat_entities(), RDFXML, GRAPH) == 1
    result = store.query("ASK { <http://example.org/s> ?p <http://example.org/o> }")
    assert isinstance(result, AskResult)
    assert result.value


def test_json_ld_nested_past_the_limit_is_refused(store: GraphStore) -> None:
    depth = MAX_DEPTH + 1
    document = ('{"http://example.org/p": ' * depth + '"v"' + "}" * depth).encode()
    with pytest.raises(UnsafeDocumentError, match=f"nests {depth:,} levels"):
        store.load(document, by_name("jsonld"), GRAPH)


def _term_chain(terms: int) -> bytes:
    """A context whose terms each expand through the next (10,000 crash pyoxigraph)."""
    chain = ",".join(f'"t{i}": "t{i + 1}:"' for i in range(terms))
    context = f'{{{chain}, "t{terms}": "http://x/"}}'
    return f'{{"@context": {context}, "@id": "http://a", "t0:b": 1}}'.encode()


def test_json_ld_contexts_past_the_term_limit_are_refused(store: GraphStore) -> None:
    with pytest.raises(UnsafeDocumentError, match="terms"):
        store.load(_term_chain(10_000), by_name("jsonld"), GRAPH)
    assert store.load(_term_chain(MAX_TERMS - 2), by_name("jsonld"), GRAPH) == 1


def test_brackets_inside_json_strings_do_not_count() -> None:
    document = b'{"@id": "http://example.org/s", "http://example.org/p": "' + b"[{" * 5000 + b'"}'
    check_before_parsing(document, RdfFormat.JSON_LD, "upload")


def test_rdfxml_nested_past_the_limit_is_refused(store: GraphStore) -> None:
    depth = MAX_DEPTH // 2 + 1
    nested = "<rdf:Description><ex:p>" * depth + "</ex:p></rdf:Description>" * depth
    document = f"{RDF_XML_ROOT}{nested}</rdf:RDF>".encode()
    with pytest.raises(UnsafeDocumentError, match="levels deep"):
        store.load(document, RDFXML, GRAPH)


def test_empty_elements_and_quoted_brackets_do_not_count() -> None:
    flat = '<ex:p rdf:resource="http://example.org/a>b"/>' * (MAX_DEPTH + 1)
    body = f'<rdf:Description rdf:about="http://example.org/s">{flat}</rdf:Description>'
    check_before_parsing(f"{RDF_XML_ROOT}{body}</rdf:RDF>".encode(), RdfFormat.RDF_XML, "x")


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


def test_pyoxigraph_itself_crashes_on_deep_json_ld(tmp_path: Path) -> None:
    """Why the depth limit exists: 5,000 nested objects kill the parsing process."""
    path = tmp_path / "deep.jsonld"
    path.write_text('{"http://example.org/p": ' * 5000 + '"v"' + "}" * 5000)
    code = "import sys,pyoxigraph as o; list(o.parse(path=sys.argv[1], format=o.RdfFormat.JSON_LD))"
    command = [sys.executable, "-c", code, str(path)]
    result = subprocess.run(command, capture_output=True, check=False)
    assert result.returncode == -signal.SIGSEGV


def test_cli_load_refuses_deep_json_ld_without_crashing(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonld"
    path.write_text('{"http://example.org/p": ' * 5000 + '"v"' + "}" * 5000)
    result = runner.invoke(main, ["load", str(path)])
    assert result.exit_code == 1
    assert "levels deep" in result.output

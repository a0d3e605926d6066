"""A TriG export of the whole dataset round-trips to an isomorphic dataset.

Graphs are compared with rdflib's isomorphism per graph, and whole datasets through
pyoxigraph's RDF canonicalization (RDFC-1.0), which relabels blank nodes the same way
on both sides. rdflib's own ``Dataset`` parser is not used: it warns as deprecated.
"""

import io
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from pyoxigraph import (
    BlankNode,
    CanonicalizationAlgorithm,
    Dataset,
    Literal,
    NamedNode,
    Quad,
    RdfFormat,
    parse,
    serialize,
)
from rdflib import Graph
from rdflib.compare import isomorphic

from civicgraph.cli import main
from civicgraph.dataset.export import export
from civicgraph.formats import by_name
from civicgraph.store import EmbeddedStore

GRAPHS = [None, "http://example.org/g1", "http://example.org/g2"]
_NAMES = st.text("abcxyz019-_", min_size=1, max_size=6)
_IRIS = st.builds(lambda s: NamedNode(f"http://example.org/{s}"), _NAMES)
_TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=30)
_LITERALS = st.one_of(
    st.builds(Literal, _TEXT),
    st.builds(lambda t, lang: Literal(t, language=lang), _TEXT, st.sampled_from(["en", "fr-CA"])),
    st.builds(lambda t: Literal(t, datatype=NamedNode("http://example.org/dt")), _TEXT),
    st.integers().map(Literal),
)


@st.composite
def datasets(draw: st.DrawFn) -> list[Quad]:
    """Quads over a default and two named graphs; blank nodes stay within one graph."""
    quads = []
    for index, graph in enumerate(GRAPHS):
        blanks = st.builds(lambda n, i=index: BlankNode(f"g{i}b{n}"), st.integers(0, 3))
        for _ in range(draw(st.integers(0, 6))):
            subject = draw(st.one_of(_IRIS, blanks))
            obj = draw(st.one_of(_IRIS, blanks, _LITERALS))
            name = NamedNode(graph) if graph else None
            quads.append(Quad(subject, draw(_IRIS), obj, name))
    return quads


def _canonical(quads: list[Quad]) -> set[Quad]:
    dataset = Dataset(quads)
    dataset.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)
    return set(dataset)


def _load(store: EmbeddedStore, quads: list[Quad]) -> None:
    for graph in GRAPHS:
        triples = [q.triple for q in quads if _graph_of(q) == graph]
        if triples:
            ntriples = serialize(triples, format=RdfFormat.N_TRIPLES) or b""
            store.load(ntriples, by_name("nt"), graph)


def _graph_of(quad: Quad) -> str | None:
    return quad.graph_name.value if isinstance(quad.graph_name, NamedNode) else None


@settings(max_examples=40, deadline=None)
@given(datasets())
def test_trig_export_of_generated_datasets_is_isomorphic(quads: list[Quad]) -> None:
    store = EmbeddedStore()
    _load(store, quads)
    out = io.BytesIO()
    export(store, out, by_name("trig"))
    exported = list(parse(out.getvalue(), format=RdfFormat.TRIG))
    assert _canonical(exported) == _canonical(quads)


def test_cli_trig_export_matches_each_loaded_file(
    runner: CliRunner, data_dir: Path, tmp_path: Path
) -> None:
    rich = tmp_path / "rich.ttl"
    rich.write_text(
        '@prefix ex: <http://example.org/> .\nex:s ex:label "<script>alert(1)</script>"@en ;\n'
        '  ex:note """line one\nline "two" \\u00e9 😀""" ; ex:list (1 2 [ ex:p ex:o ]) .\n',
        encoding="utf-8",
    )
    for path in (data_dir / "small.ttl", rich):
        assert runner.invoke(main, ["load", str(path)]).exit_code == 0
    out = tmp_path / "all.trig"
    assert runner.invoke(main, ["export", "--format", "trig", "-o", str(out)]).exit_code == 0
    exported = list(parse(path=str(out), format=RdfFormat.TRIG))
    for path in (data_dir / "small.ttl", rich):
        name = f"https://w3id.org/civicgraph/graph/{path.stem}"
        triples = [q.triple for q in exported if _graph_of(q) == name]
        graph = Graph().parse(data=serialize(triples, format=RdfFormat.N_TRIPLES), format="nt")
        assert isomorphic(graph, Graph().parse(path))

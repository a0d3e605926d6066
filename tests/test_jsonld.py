"""Compacted JSON-LD reads back as the very triples it was written from, whatever they hold."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, parse, serialize

from civicgraph.store import jsonld
from civicgraph.vocab import PREFIXES

_NAMESPACES = [*jsonld.CONTEXT.values(), "http://other.example/"]
#: Local parts that compact safely, and some that must not (a scheme, a blank node,
#: a double slash, nothing at all).
_LOCAL = st.one_of(
    st.text("abcXYZ09_.-/#", min_size=1, max_size=6),
    st.sampled_from(["", "_:b", "http:x", "a//b", "mailto:a", "1", "é"]),
)


def _named(namespace: str, local: str) -> NamedNode | None:
    try:
        return NamedNode(namespace + local)
    except ValueError:  # not an IRI ("#" twice, say)
        return None


#: Namespaces, and schemes named like the context's terms (``<rdf:x>``, ``<id:x>``),
#: which a reader would take for compact IRIs.
_STARTS = st.sampled_from([*_NAMESPACES, *(f"{term}:" for term in jsonld.CONTEXT)])
_IRI = st.builds(_named, _STARTS, _LOCAL).filter(bool)
_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=10)
_LITERAL = st.one_of(
    st.builds(Literal, _TEXT),
    st.builds(lambda v: Literal(v, language="en"), _TEXT),
    st.builds(lambda v, t: Literal(v, datatype=t), _TEXT, _IRI),
)
_TRIPLE = st.builds(
    Triple,
    _IRI,
    st.one_of(_IRI, st.just(NamedNode(PREFIXES["rdf"] + "type"))),
    st.one_of(_IRI, _LITERAL),
)


@settings(max_examples=300, deadline=None)
@given(triples=st.lists(_TRIPLE, max_size=12))
def test_a_compacted_document_expands_back_to_the_same_triples(triples: list[Triple]) -> None:
    document = jsonld.compact(serialize(triples, format=RdfFormat.JSON_LD) or b"")
    assert {quad.triple for quad in parse(document, format=RdfFormat.JSON_LD)} == set(triples)


def test_each_node_is_written_on_a_line_of_its_own() -> None:
    label = NamedNode(PREFIXES["rdfs"] + "label")
    triples = [
        Triple(NamedNode(f"{jsonld.CONTEXT['id']}n{i}"), label, Literal("a\nb")) for i in range(3)
    ]
    lines = jsonld.compact(serialize(triples, format=RdfFormat.JSON_LD) or b"").splitlines()
    nodes = [line for line in lines if line.startswith(b'  {"@id"')]
    assert [json.loads(line.rstrip(b","))["@id"] for line in nodes] == ["id:n0", "id:n1", "id:n2"]


def test_an_empty_graph_is_an_empty_list_under_the_given_context() -> None:
    document = json.loads(jsonld.compact(b"[]", "http://example.org/context.jsonld"))
    assert document == {"@context": "http://example.org/context.jsonld", "@graph": []}

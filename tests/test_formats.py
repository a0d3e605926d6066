"""The format table and content negotiation."""

import pytest

from civicgraph.errors import NotAcceptableError, UnknownFormatError, UnsupportedMediaTypeError
from civicgraph.formats import Kind, by_name, from_content_type, from_path, negotiate


@pytest.mark.parametrize(
    ("accept", "kind", "expected"),
    [
        (None, Kind.RESULTS, "json"),
        ("text/csv", Kind.RESULTS, "csv"),
        ("application/sparql-results+xml;q=0.9, text/csv;q=0.5", Kind.RESULTS, "xml"),
        ("text/*;q=0.4, application/sparql-results+json;q=0.3", Kind.RESULTS, "csv"),
        ("*/*", Kind.GRAPH, "turtle"),
        ("application/ld+json", Kind.GRAPH, "jsonld"),
        ("application/n-triples, text/turtle;q=0.1", Kind.GRAPH, "ntriples"),
        ("application/json", Kind.RESULTS, "json"),
    ],
)
def test_negotiate_picks_by_q_value(accept: str | None, kind: Kind, expected: str) -> None:
    assert negotiate(accept, kind).name == expected


def test_negotiate_refuses_what_cannot_carry_the_result() -> None:
    with pytest.raises(NotAcceptableError, match="application/sparql-results"):
        negotiate("text/turtle", Kind.RESULTS)


def test_q_zero_excludes() -> None:
    assert negotiate("text/turtle;q=0, */*;q=0.1", Kind.GRAPH).name == "ntriples"


def test_unknown_name_lists_valid_ones() -> None:
    with pytest.raises(UnknownFormatError, match="turtle"):
        by_name("yaml")


def test_lookup_by_extension_and_alias() -> None:
    assert from_path("data/x.nt").name == "ntriples"
    assert by_name("TTL").media_type == "text/turtle"


def test_content_type_with_parameters() -> None:
    fmt = from_content_type("text/turtle; charset=utf-8", Kind.GRAPH)
    assert fmt.name == "turtle"
    with pytest.raises(UnsupportedMediaTypeError):
        from_content_type("text/plain", Kind.GRAPH)

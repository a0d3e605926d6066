"""Answers serialized where the query runs match what the server used to serialize itself."""

import csv
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, QueryBoolean, Store, parse, parse_query_results

from civicgraph.config import Settings
from civicgraph.errors import CannotExpressError, NotAcceptableError
from civicgraph.formats import Kind, by_name, formats_for
from civicgraph.store import EmbeddedStore
from civicgraph.store.guarded import GuardedStore
from civicgraph.store.native import (
    SOLUTIONS,
    TRIPLES,
    _CappedSink,
    _OverCapError,
    native_format,
    write_natively,
)
from civicgraph.store.results import GraphResult, SelectResult, serialize_result
from civicgraph.store.streams import materialize
from civicgraph.vocab import XSD

DATA = """
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:a ex:name "Ada"@en , "Ada \\"the first\\"\\ttab" ; ex:age 36 ; ex:knows ex:b , _:x .
ex:b ex:name "Grace, <b>&amp;</b>"@en-GB ; ex:born "1906-12-09"^^xsd:date .
_:x ex:name "Zoë\\nnewline" .
"""
SELECT = "SELECT ?s ?p ?o ?missing WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(isIRI(?s)) } ORDER BY ?s ?p ?o"


def _graph(body: bytes, name: str) -> set[tuple[str, str, str]]:
    """The triples of a graph answer, blank nodes aside (an answer names its own)."""
    found = parse(body, format=by_name(name).rdf_format)
    return {
        (str(q.subject), str(q.predicate), str(q.object))
        for q in found
        if isinstance(q.subject, NamedNode)
    }


def _solutions(body: bytes, name: str) -> list[dict[str, str]] | bool:
    """What a results parser reads from an answer: its rows (in CSV, their values), or
    its boolean."""
    if name == "csv":
        header, *rows = csv.reader(io.StringIO(body.decode()))
        return [dict(zip(header, row, strict=True)) for row in rows]
    found = parse_query_results(body, format=by_name(name).results_format)
    if isinstance(found, QueryBoolean):
        return bool(found)
    names = [v.value for v in found.variables]
    return [{n: str(row[n]) for n in names if row[n] is not None} for row in found]


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GuardedStore]:
    path = tmp_path_factory.mktemp("serialized") / "store"
    settings = Settings(store=str(path), query_workers=1)
    primary = EmbeddedStore(path)
    primary.load(DATA.encode(), by_name("turtle"), "http://example.org/g")
    store = GuardedStore(primary, settings)
    yield store
    store.close()


@pytest.mark.parametrize(
    ("query", "kind"),
    [(SELECT, Kind.RESULTS), ("ASK { ?s ?p ?o }", Kind.RESULTS), (CONSTRUCT, Kind.GRAPH)],
)
def test_the_worker_writes_every_format_byte_for_byte_as_before(
    guarded: GuardedStore, query: str, kind: Kind
) -> None:
    result = guarded.query(query)
    for fmt in formats_for(kind):
        answer = guarded.query_serialized(query, fmt.media_type)
        expected = serialize_result(result, fmt)
        assert answer.content_type == fmt.content_type
        if fmt.name == "json":  # written by pyoxigraph: the same JSON, spaced differently
            assert json.loads(answer.body) == json.loads(expected)
        elif fmt.name == "xml":  # written by pyoxigraph: the same solutions, escaped differently
            assert _solutions(answer.body, fmt.name) == _solutions(expected, fmt.name)
        elif fmt.name in {"turtle", "n3", "rdfxml"}:  # by pyoxigraph: the same graph, no prefixes
            assert _graph(answer.body, fmt.name) == _graph(expected, fmt.name)
        else:
            assert answer.body == expected


def test_a_capped_answer_is_announced_and_holds_exactly_the_cap(guarded: GuardedStore) -> None:
    answer = guarded.query_serialized(SELECT, "text/csv", max_rows=2)
    assert answer.truncated
    assert answer.body.count(b"\r\n") == 3  # the header and two rows


#: The result formats pyoxigraph writes alone.
NATIVE_RESULTS = ["json", "xml", "csv", "tsv"]
#: Graph formats pyoxigraph writes.
NATIVE_GRAPHS = ["turtle", "ntriples", "n3", "rdfxml", "jsonld"]


@pytest.mark.parametrize("name", NATIVE_RESULTS)
@pytest.mark.parametrize("cap", [1, 2, 5])
def test_an_answer_over_the_row_cap_holds_exactly_the_cap(
    guarded: GuardedStore, cap: int, name: str
) -> None:
    answer = guarded.query_serialized(SELECT, by_name(name).media_type, max_rows=cap)
    assert answer.truncated
    assert len(_solutions(answer.body, name)) == cap  # type: ignore[arg-type]


@pytest.mark.parametrize("name", NATIVE_RESULTS)
def test_an_answer_at_the_row_cap_is_whole(guarded: GuardedStore, name: str) -> None:
    rows = len(guarded.query(SELECT).rows)  # type: ignore[union-attr]
    answer = guarded.query_serialized(SELECT, by_name(name).media_type, max_rows=rows)
    assert not answer.truncated
    assert len(_solutions(answer.body, name)) == rows  # type: ignore[arg-type]


@pytest.mark.parametrize("name", NATIVE_RESULTS)
def test_a_literal_that_looks_like_a_row_break_does_not_hide_rows(
    tmp_path: Path, name: str
) -> None:
    store = EmbeddedStore(tmp_path / "store")
    data = '<http://example.org/a> <http://example.org/p> "x},{y" , "<result>\\n</result>" .'
    store.load(data.encode(), by_name("turtle"), "http://example.org/g")
    query = "SELECT ?o WHERE { ?s ?p ?o }"
    whole = store.query_serialized(query, by_name(name).media_type, max_rows=2)
    cut = store.query_serialized(query, by_name(name).media_type, max_rows=1)
    assert len(_solutions(whole.body, name)) == 2  # type: ignore[arg-type]
    assert len(_solutions(cut.body, name)) == 1  # type: ignore[arg-type]
    assert cut.truncated
    store.close()


#: Terms whose TSV form has choices: Turtle's bare numbers and booleans, or not; and
#: a triple term, nested.
TSV_TERMS = (
    "1 -2 +3 1.5 -0.5 .5 2.0 1e3 1.5E-300 true false "
    '"1"^^xsd:boolean "x"^^xsd:integer "1.0"^^xsd:float "5"^^xsd:long "NaN"^^xsd:double '
    '"1"^^xsd:decimal "s" "s"@en'
)
NESTED = "TRIPLE(<http://e/a>, <http://e/b>, TRIPLE(<http://e/c>, <http://e/d>, 1.5))"


def test_tsv_cut_in_python_writes_each_term_as_pyoxigraph_does() -> None:
    query = (
        "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> "
        f"SELECT ?v ?w WHERE {{ {{ VALUES ?v {{ {TSV_TERMS} UNDEF }} }} "
        f"UNION {{ BIND({NESTED} AS ?v) }} }}"
    )
    store, fmt = Store(), by_name("tsv")
    native = write_natively(store.query(query), fmt, None, None)  # type: ignore[arg-type]
    assert native is not None
    assert native.body == serialize_result(materialize(store.query(query), None, None), fmt)
    assert b"\n1\t\n-2\t\n" in native.body  # bare numbers are what the check is about


@pytest.mark.parametrize(
    ("accept", "native"),
    [
        ("application/sparql-results+xml", True),
        ("text/tab-separated-values", True),
        ("text/tab-separated-values; profile=spreadsheet", False),
        ("text/csv", True),
        ("text/csv; profile=spreadsheet", False),
    ],
)
def test_which_result_formats_pyoxigraph_writes_alone(accept: str, native: bool) -> None:
    raw = Store().query("SELECT ?v WHERE { VALUES ?v { 1 } }")
    assert (native_format(raw, accept) is not None) is native


@pytest.mark.parametrize("literal", ["a\\r\\nb", "a\\u0001b", "a\\uFFFEb"])
def test_an_xml_answer_pyoxigraph_cannot_write_faithfully_goes_to_python(literal: str) -> None:
    raw = Store().query(f'SELECT ?v WHERE {{ BIND("{literal}" AS ?v) }}')
    assert write_natively(raw, by_name("xml"), None, None) is None  # type: ignore[arg-type]


def test_a_json_answer_over_the_byte_cap_is_cut_and_announced(guarded: GuardedStore) -> None:
    answer = guarded.primary.query_serialized(  # type: ignore[attr-defined]
        SELECT, "application/sparql-results+json", max_bytes=200
    )
    assert answer.truncated
    assert len(json.loads(answer.body)["results"]["bindings"]) < len(guarded.query(SELECT).rows)  # type: ignore[union-attr]


def test_a_complete_answer_is_not_announced_as_capped(guarded: GuardedStore) -> None:
    assert not guarded.query_serialized(CONSTRUCT, "text/turtle", max_rows=7).truncated


def test_negotiation_in_the_worker_refuses_a_format_of_the_wrong_kind(
    guarded: GuardedStore,
) -> None:
    with pytest.raises(NotAcceptableError):
        guarded.query_serialized(SELECT, "text/turtle")


def test_an_in_memory_store_answers_serialized_in_process() -> None:
    store = GuardedStore(EmbeddedStore(), Settings(store="memory"))
    assert store.pool is None
    assert store.query_serialized("ASK {}", None).body == b'{"head": {}, "boolean": true}'


@pytest.mark.parametrize(
    ("character", "accept"),
    [
        ("\\u0001", "application/sparql-results+json"),  # six bytes each: \u0001
        ("&", "application/sparql-results+xml"),  # five: &amp;
        ('\\"', "text/csv"),  # two: ""
    ],
)
def test_escaping_cannot_grow_an_answer_past_the_byte_cap(
    tmp_path: Path, character: str, accept: str
) -> None:
    store = EmbeddedStore(tmp_path / "store")
    values = " ".join(str(n) for n in range(40))
    long = character * 500
    query = f'SELECT ?v WHERE {{ VALUES ?n {{ {values} }} BIND(CONCAT(STR(?n), "{long}") AS ?v) }}'
    whole = store.query_serialized(query, accept)
    cap = len(whole.body) // 2
    answer = store.query_serialized(query, accept, max_bytes=cap)
    assert answer.truncated
    assert 0 < len(answer.body) <= cap
    store.close()


@pytest.mark.parametrize("name", NATIVE_GRAPHS)
def test_a_graph_over_the_row_cap_holds_exactly_the_cap(guarded: GuardedStore, name: str) -> None:
    whole = guarded.query(CONSTRUCT)
    assert isinstance(whole, GraphResult)
    fmt = by_name(name)
    answer = guarded.query_serialized(CONSTRUCT, fmt.media_type, max_rows=2)
    assert answer.truncated
    assert answer.kept == 2
    assert answer.body == serialize_result(GraphResult(whole.triples[:2], True), fmt)


def test_a_graph_over_the_byte_cap_is_cut_and_announced(guarded: GuardedStore) -> None:
    answer = guarded.primary.query_serialized(  # type: ignore[attr-defined]
        CONSTRUCT, "application/n-triples", max_bytes=400
    )
    assert answer.truncated
    assert 0 < answer.body.count(b"\n") < len(guarded.query(CONSTRUCT).triples)  # type: ignore[union-attr]


def test_a_row_break_written_a_byte_at_a_time_is_counted() -> None:
    sink = _CappedSink(SOLUTIONS, max_rows=1, max_bytes=None)
    sink.write(b'{"a":1}')
    sink.write(b",")
    with pytest.raises(_OverCapError):
        sink.write(b'{"a":2}')


def test_rows_are_counted_from_the_first_piece_once_the_bytes_could_pass_the_cap() -> None:
    sink = _CappedSink(SOLUTIONS, max_rows=2, max_bytes=None)
    sink.write(b"{}")
    sink.write(b",{")  # six bytes could hold two rows, not three: nothing counted yet
    with pytest.raises(_OverCapError):
        sink.write(b"},{}")  # a separator spans the pieces written before counting began


#: Literals that hold the bytes a graph writer marks its triples with.
MARKED = """
@prefix ex: <http://example.org/> .
ex:a ex:says "one , two , three" , "line\\nbreak" , "},{" , "{\\"@id\\":" ; ex:n 1 , 2 , 3 .
ex:b ex:says "ends with a space " , " , " , "[{\\"@x" , "\\"},{\\"@" , "\\n\\t\\t<x>\\n\\t</y>" .
_:c ex:p ex:a , ex:b ; ex:q _:c .
ex:d a ex:C .
"""


@pytest.mark.parametrize("name", NATIVE_GRAPHS)
def test_a_graph_writers_marks_never_count_fewer_triples_than_it_wrote(name: str) -> None:
    store = Store()
    store.load(MARKED.encode(), format=by_name("turtle").rdf_format)
    triples = len(store)
    fmt = by_name(name)
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    one_short = write_natively(store.query(construct), fmt, triples - 1, None)
    assert one_short is None  # the Python path cuts it and says so
    at_the_cap = write_natively(store.query(construct), fmt, triples + 12, None)
    assert at_the_cap is not None


@pytest.mark.parametrize("name", ["rdfxml", "jsonld"])
def test_an_answer_of_many_short_subjects_under_the_cap_is_written_natively(name: str) -> None:
    """Subjects are no triples: 300 of them with two triples each fit a cap of 600
    (counting their lines too sent such an answer to the Python path, twice as slow)."""
    store = Store()
    rows = (f"<http://e/s{i}> a <http://e/C> ; <http://e/p> {i} ." for i in range(300))
    store.load("\n".join(rows).encode(), format=by_name("turtle").rdf_format)
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    assert write_natively(store.query(construct), by_name(name), 600, None) is not None
    assert write_natively(store.query(construct), by_name(name), 599, None) is None


def test_a_triples_mark_written_across_pieces_is_counted_once() -> None:
    sink = _CappedSink(TRIPLES, max_rows=3, max_bytes=None)
    sink.write(b"<a> <p> <b> ")
    sink.write(b",")  # 13 bytes could hold four triples: counting begins
    sink.write(b" <c> ;\n")  # the second triple's mark spans pieces
    sink.write(b"\t<q> <d> .\n")  # the line break before it is not counted again
    assert sink.marks == 3
    with pytest.raises(_OverCapError):
        sink.write(b"<e> <f> <g> .\n")


@pytest.mark.timed
def test_a_long_number_that_is_not_one_is_written_to_tsv_in_linear_time() -> None:
    """A computed literal can be as long as the answer's byte cap allows; a pattern
    that backtracked over its digits took seconds at a few ten thousand."""
    digits = "1" * 1_000_000
    rows = tuple((Literal(digits + "x", datatype=XSD.double),) for _ in range(4))
    started = time.perf_counter()
    body = serialize_result(SelectResult(("v",), rows), by_name("tsv"))
    assert time.perf_counter() - started < 2
    assert body.count(b"x") == 4


@pytest.mark.parametrize(
    ("accept", "long"),
    [
        ("application/sparql-results+json", "names"),  # each binding names its variable
        ("application/sparql-results+xml", "names"),
        ("application/sparql-results+json", "datatype"),  # each literal names its datatype
        ("application/sparql-results+xml", "datatype"),
        ("application/sparql-results+xml", "direction"),  # its:dir and its namespace
    ],
)
def test_what_every_binding_repeats_counts_toward_the_byte_cap(
    tmp_path: Path, accept: str, long: str
) -> None:
    """A hundred rows of ten one-character values, each beside a 300-character
    variable name or datatype IRI, or a base direction: over 120 KB written, so a
    40 KB cap cuts it."""
    store = EmbeddedStore(tmp_path / "store")
    if long == "names":
        names = [f"?{'v' * 299}{n}" for n in range(10)]
        binds = " ".join(f'BIND("x" AS {name})' for name in names)
    elif long == "datatype":
        names = [f"?v{n}" for n in range(10)]
        datatype = "http://example.org/" + "d" * 281
        binds = " ".join(f'BIND(STRDT("x", <{datatype}>) AS {name})' for name in names)
    else:
        names = [f"?v{n}" for n in range(10)]
        binds = " ".join(f'BIND("x"@en--rtl AS {name})' for name in names)
    rows = " ".join(str(n) for n in range(100))
    query = f"SELECT {' '.join(names)} WHERE {{ VALUES ?n {{ {rows} }} {binds} }}"
    cap = 40_000
    assert len(store.query_serialized(query, accept).body) > 3 * cap
    answer = store.query_serialized(query, accept, max_bytes=cap)
    assert answer.truncated
    # The cap counts rows; the head lists the variables once, no more than the query.
    assert 0 < len(answer.body) <= cap + len(query)
    store.close()


@pytest.mark.parametrize("name", ["json", "xml"])
def test_a_base_direction_is_kept_where_python_writes_the_answer(name: str) -> None:
    """A carriage return sends a SPARQL XML answer to the Python writer, and a cap any
    answer: the literals' base direction reads back as pyoxigraph writes it."""
    query = 'SELECT ?x WHERE { VALUES ?x { "x"@en--rtl "y\\rz"@ar--ltr "w"@en } }'
    fmt, store = by_name(name), Store()
    written = serialize_result(materialize(store.query(query), None, None), fmt)
    native = store.query(query).serialize(format=fmt.results_format)
    read = parse_query_results(written, format=fmt.results_format)
    assert [row["x"] for row in read] == [  # type: ignore[union-attr]
        row["x"]
        for row in parse_query_results(native, format=fmt.results_format)  # type: ignore[union-attr]
    ]


def test_white_space_at_either_end_of_a_literal_reads_back_where_python_writes_xml() -> None:
    """pyoxigraph's reader of SPARQL XML (and a client built on it) trims white space at
    either end of a text: the Python writer writes it there as references, as
    pyoxigraph's writer does."""
    values = ["  a", "a\t", " \n a \t ", "  ", "a\rb ", "a b"]
    rows = " ".join(json.dumps(value) for value in values)
    query = f"SELECT ?x WHERE {{ VALUES ?x {{ {rows} }} }}"
    fmt = by_name("xml")
    written = serialize_result(materialize(Store().query(query), None, None), fmt)
    read = parse_query_results(written, format=fmt.results_format)
    assert [row["x"].value for row in read] == values  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "values",
    [
        "<http://example.org/a,b>",  # pyoxigraph leaves it unquoted: a cell too many
        '"" UNDEF',  # a row of one empty cell, which it writes as an empty line
        'UNDEF "x"',
    ],
)
def test_a_csv_answer_a_reader_would_misread_is_written_in_python(values: str) -> None:
    query = f"SELECT ?v WHERE {{ VALUES ?v {{ {values} }} }}"
    raw = Store().query(query)
    assert write_natively(raw, by_name("csv"), None, None) is None  # type: ignore[arg-type]
    written = serialize_result(materialize(Store().query(query), None, None), by_name("csv"))
    assert all(len(row) == 1 for row in csv.reader(io.StringIO(written.decode())))


def _nested(depth: int) -> str:
    """A triple term whose object nests ``depth`` triple terms deep."""
    term = "1"
    for _ in range(depth):
        term = f"TRIPLE(<http://e/s>, <http://e/p>, {term})"
    return term


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        (  # RDF/XML indents each level of a nested triple term: d² bytes at depth d
            "CONSTRUCT { ?s <http://e/p> ?t } WHERE { VALUES ?k { "
            + " ".join(str(n) for n in range(200))
            + ' } BIND(IRI(CONCAT("http://e/s", STR(?k))) AS ?s) '
            + f"BIND({_nested(25)} AS ?t) }}",
            "application/rdf+xml",
        ),
        (  # an unbound variable still takes a separator in every row
            "SELECT ?s " + " ".join(f"?v{n}" for n in range(3000)) + " WHERE { "
            "VALUES ?s { " + " ".join(f"<http://e/{n}>" for n in range(100)) + " } }",
            "text/tab-separated-values",
        ),
        (
            "SELECT ?s " + " ".join(f"?v{n}" for n in range(3000)) + " WHERE { "
            "VALUES ?s { " + " ".join(f"<http://e/{n}>" for n in range(100)) + " } }",
            "text/csv",
        ),
    ],
)
def test_what_grows_with_nesting_or_width_counts_toward_the_byte_cap(
    tmp_path: Path, query: str, accept: str
) -> None:
    store = EmbeddedStore(tmp_path / "store")
    cap = 40_000
    assert len(store.query_serialized(query, accept).body) > 3 * cap
    answer = store.query_serialized(query, accept, max_bytes=cap)
    assert answer.truncated
    assert len(answer.body) <= cap + len(query)  # the head names the variables once
    store.close()


def test_a_triple_term_in_json_ld_is_refused_with_the_writers_reason(
    guarded: GuardedStore,
) -> None:
    """pyoxigraph's JSON-LD writer refuses it with an ``OSError``, as a store's failure
    would be: the Python path writes the answer, and refuses it with the reason."""
    construct = (
        "CONSTRUCT { <http://e/s> <http://e/p> <<( <http://e/a> <http://e/b> <http://e/c> )>> }"
        " WHERE {}"
    )
    with pytest.raises(CannotExpressError, match=r"RDF 1\.2"):
        guarded.query_serialized(construct, "application/ld+json")


def test_a_json_ld_answer_never_passes_the_byte_cap_once_compacted() -> None:
    """Compacting adds the context (about 700 bytes) to what pyoxigraph wrote: an
    answer grown past the cap is left to the Python path, which cuts it."""
    store = Store()
    store.load(DATA.encode(), format=by_name("turtle").rdf_format)
    fmt = by_name("jsonld")
    whole = write_natively(store.query(CONSTRUCT), fmt, None, None)
    assert whole is not None
    sent = []
    for cap in range(100, len(whole.body) + 100, 50):
        answer = write_natively(store.query(CONSTRUCT), fmt, None, cap)
        if answer is not None:
            assert len(answer.body) <= cap
            sent.append(json.loads(answer.body))
    assert sent  # some caps are met whole

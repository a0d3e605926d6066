"""Every scanner of request text ends soon on its worst input of the largest allowed size.

These scanners run in the serving process before any time limit applies, so each must
be linear in its input. Each input below is the worst case known for one of them
(the earlier scanners took 23 s on 100 KB of ``a.a.a…`` and 18 s on 2 KB of
``<a<a<a…``), at the default body limits: 1 MiB for a query or update, 64 MiB for an
upload. The bounds are generous, for a busy machine; a super-linear scanner would take
hours.
"""

import contextlib
import time
import tracemalloc
from collections.abc import Callable

import pytest
from pyoxigraph import RdfFormat

from civicgraph.config import Settings
from civicgraph.errors import UnsafeDocumentError, UserInputError
from civicgraph.sparql.fetching import fetching_keyword
from civicgraph.sparql.lexer import (
    declares_dataset,
    has_dataset_clause,
    has_relative_iri,
    lexemes,
    operation_separator,
)
from civicgraph.sparql.messages import MOST_READ, explain
from civicgraph.sparql.star import in_text_order
from civicgraph.sparql.using import with_using
from civicgraph.sparql.written import graphs_written
from civicgraph.store.parsesafety import check_before_parsing

QUERY_LIMIT = Settings().query_body_limit
UPLOAD_LIMIT = Settings().upload_limit
#: Seconds of this process's CPU, so that other work on the machine does not count.
#: Measured by the clock on the wall with the machine's two cores shared by sixteen
#: busy processes: at most 5 s for a query scanner, 17 s for an upload check.
QUERY_BOUND = 10.0
UPLOAD_BOUND = 30.0


def _fill(unit: str, size: int, tail: str = " 'service from using with'") -> str:
    """``unit`` repeated to ``size`` characters, ending in the words that defeat the
    pre-filters (so the whole text is lexed)."""
    return unit * ((size - len(tail)) // len(unit)) + tail


QUERY_UNITS = [
    "a.",  # a run of names that is not a prefix
    "a.a:",  # prefixed names with dots
    "ex:a\\#",  # local names of escapes
    "<a",  # IRIs that never close
    "{",
    "?a",
    "_:a.",
    "1.",
    "'''\\'",  # a long string that never closes
    "\\u0041",  # codepoint escapes: two readings
    "é.",
    "a ",
    "DELETE WHERE{};",  # operations that each take the dataset's clauses
]


def _dataset_written(text: str) -> object:
    """``using-graph-uri`` written into ``text``, with no cap on the size; text it cannot
    read is refused, and a refusal is an answer too."""
    with contextlib.suppress(UserInputError):
        return with_using(text, ["http://example.org/g"], [], 1 << 30)
    return None


SCANNERS: dict[str, Callable[[str], object]] = {
    "check": fetching_keyword,
    "from": declares_dataset,
    "using": has_dataset_clause,
    "base": has_relative_iri,
    "separator": operation_separator,  # the writer's, before a write's own record
    "written": graphs_written,  # the writer's, for the record
    "dataset": _dataset_written,
    "explain": lambda text: explain("error", text, None, None),  # no position: the whole text
    # past MOST_READ nothing is read: a text that long, stopped at its end, is not
    "explain-at-end": lambda text: explain("error", text, 1, len(text) + 1),
    # the most that is read: brackets, patterns and words, up to a stop at its end
    "explain-most-read": lambda text: explain("error", text[:MOST_READ], 1, MOST_READ + 1),
    # a SELECT * whose last column is never named: the whole text is lexed for it
    "star": lambda text: in_text_order("SELECT * " + text, ["a", "never"]),
}


@pytest.mark.parametrize("scanner", SCANNERS)
@pytest.mark.parametrize("unit", QUERY_UNITS)
def test_query_scanners_end_soon_on_a_maximal_query(unit: str, scanner: str) -> None:
    text = _fill(unit, QUERY_LIMIT)
    started = time.process_time()
    SCANNERS[scanner](text)
    assert time.process_time() - started < QUERY_BOUND


def _bytes(unit: bytes, size: int = UPLOAD_LIMIT) -> bytes:
    return unit * (size // len(unit))


UPLOADS = {
    "json-escaped-quotes": (RdfFormat.JSON_LD, _bytes(b'"\\"')),
    "json-brackets": (RdfFormat.JSON_LD, _bytes(b"[]")),
    "json-strings": (RdfFormat.JSON_LD, _bytes(b'"a",')),
    "xml-open-tags": (RdfFormat.RDF_XML, _bytes(b"<a")),
    "xml-open-comments": (RdfFormat.RDF_XML, _bytes(b"<!--")),
    "xml-open-quotes": (RdfFormat.RDF_XML, _bytes(b'<a "')),
    "xml-elements": (RdfFormat.RDF_XML, _bytes(b"<a></a>")),
    "xml-empty-elements": (RdfFormat.RDF_XML, _bytes(b'<a b=">/>"/>')),
    "xml-entity-references": (
        RdfFormat.RDF_XML,
        b'<!DOCTYPE r [<!ENTITY a "b">]>' + _bytes(b"&a;", UPLOAD_LIMIT - 40),
    ),
    "xml-entity-declarations": (RdfFormat.RDF_XML, _bytes(b'<!ENTITY a "">')),
}


@pytest.mark.parametrize("name", UPLOADS)
def test_upload_checks_end_soon_on_a_maximal_upload(name: str) -> None:
    rdf_format, data = UPLOADS[name]
    started = time.process_time()
    with contextlib.suppress(UnsafeDocumentError):  # a refusal is an answer too
        check_before_parsing(data, rdf_format, name)
    assert time.process_time() - started < UPLOAD_BOUND


#: Bytes a scanner may hold beside its input at its peak, whatever the input's length.
MEMORY_BOUND = 8 * 2**20


def _peak(scan: Callable[[], object]) -> int:
    """The most memory ``scan`` held at once, in bytes, beyond what it started with."""
    tracemalloc.start()
    try:
        scan()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    "token",
    [
        "x:" + "a" * QUERY_LIMIT,
        "<" + "a" * QUERY_LIMIT + ">",
        "'" + "a" * QUERY_LIMIT + "'",
        '"""' + 'a"' * (QUERY_LIMIT // 2) + '"""',
        "x:a" + "." * QUERY_LIMIT + "a",
    ],
    ids=["name", "iri", "string", "long-string", "dotted-name"],
)
def test_one_long_token_is_lexed_in_memory_that_does_not_grow_with_it(token: str) -> None:
    """A pattern repeating a group of alternatives keeps state for each repetition:
    one 1 MiB name, IRI or string took 200-330 bytes a character (330 MiB) in every
    serving process that read it, anyone's query."""
    assert _peak(lambda: list(lexemes(token))) < MEMORY_BOUND


@pytest.mark.parametrize("unit", ["{", "(", "?s ", "'a' "])
def test_explaining_holds_memory_that_does_not_grow_with_the_text(unit: str) -> None:
    """Brackets are counted past the innermost 64, and a pattern holds three terms:
    the most text that is read (``MOST_READ``) of nested brackets or of terms holds
    no list of them."""
    text = unit * (MOST_READ // len(unit))
    assert _peak(lambda: explain("error", text, 1, len(text) + 1)) < MEMORY_BOUND // 8


def test_one_long_entity_value_is_checked_in_memory_that_does_not_grow_with_it() -> None:
    """The same for an RDF/XML entity's value: 16 MiB of it took 2.7 GB. The check
    reads a lower-case copy of the document."""
    data = b'<!DOCTYPE r [<!ENTITY a "' + b"x" * (16 * 2**20) + b'">]><r/>'
    peak = _peak(lambda: check_before_parsing(data, RdfFormat.RDF_XML, "long"))
    assert peak < len(data) + MEMORY_BOUND


def test_an_element_deeper_than_the_limit_behind_quoted_markup_is_still_counted() -> None:
    """Quoted ``/>`` and ``>`` and ``/>`` in text do not hide a start tag."""
    opening = b"<a x=\"/>\" y='>'>t/>" * 1001
    with pytest.raises(UnsafeDocumentError, match="nests 1,001 levels"):
        check_before_parsing(opening, RdfFormat.RDF_XML, "deep")


def test_escaped_quotes_do_not_hide_json_brackets() -> None:
    text = b'{"a": "\\\\", "b": "\\"x\\\\\\"", "c": ' + b"[" * 1001 + b"]" * 1001 + b"}"
    with pytest.raises(UnsafeDocumentError, match="nests 1,002 levels"):
        check_before_parsing(text, RdfFormat.JSON_LD, "deep")

"""SHACL validation: the compiled shapes agree with pyshacl, and a load reports a summary."""

import functools
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyshacl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from pyoxigraph import NamedNode, RdfFormat, Store
from rdflib import BNode, Graph, Namespace, URIRef

from civicgraph.cli import main
from civicgraph.dataset import shacl, validation
from civicgraph.dataset.beside import NICE, Beside, start_context
from civicgraph.dataset.versions import canonical_rows
from civicgraph.errors import CivicgraphError

ROOT = Path(__file__).resolve().parent.parent
SH = Namespace("http://www.w3.org/ns/shacl#")
RDF_TYPE = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
FIXTURES = {
    "bundled": sorted(ROOT.glob("graph_data/*.ttl")),
    "broken-entity": [ROOT / "tests/data/broken-entity.ttl"],
    "network": [ROOT / "tests/data/network.ttl"],
    "shape-cases": [ROOT / "tests/data/shape-cases.ttl"],
}


def _reference(paths: list[Path]) -> set[tuple[str, str, str, str]]:
    """pyshacl's results for the same input: the data with the ontology, SHACL semantics.

    pyshacl also lists the results of a shape reached through ``sh:node`` at the top
    level, with the value as focus node; SHACL keeps those as details of the one
    result it asks for, which is what the validator reports. They are left out here.
    """
    data = Graph()
    for path in paths:
        data.parse(path)
    data += _parsed(ROOT / "ontology/civic.ttl")
    shapes = _parsed(ROOT / "ontology/shapes.ttl")
    nested = set(shapes.objects(None, SH.node))
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, allow_warnings=True)
    return {
        (
            str(report.value(r, SH.focusNode)),
            str(report.value(r, SH.resultPath) or ""),
            str(report.value(r, SH.resultSeverity)).rsplit("#", 1)[-1],
            _shape_name(report.value(r, SH.sourceShape), report.value(r, SH.resultPath)),
        )
        for r in report.subjects(RDF_TYPE, SH.ValidationResult)
        if report.value(r, SH.sourceShape) not in nested
    }


@functools.cache
def _parsed(path: Path) -> Graph:
    """A Turtle file parsed once: the generated graphs' comparison parsed the ontology
    and the shapes for each of its graphs, two fifths of its time."""
    return Graph().parse(path)


def _rows(data: Store, graph: NamedNode) -> list[bytes]:
    out = io.BytesIO()
    data.dump(out, RdfFormat.N_TRIPLES, from_graph=graph)
    return canonical_rows(out.getvalue())


def _local(term: object) -> str:
    return str(term).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _shape_name(shape: object, path: object) -> str:
    """The report's name for a shape: its local name, or ``property <path>`` if blank."""
    return f"property {_local(path)}" if isinstance(shape, BNode) else _local(shape)


def _mine(report: validation.ValidationReport) -> set[tuple[str, str, str, str]]:
    return {(v.focus, v.path, v.severity, v.shape) for v in report.violations}


@pytest.mark.heavy
@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_engine_agrees_with_pyshacl(name: str) -> None:
    assert _mine(validation.validate_files(FIXTURES[name])) == _reference(FIXTURES[name])


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_a_copy_beside_a_load_reads_what_a_strict_parse_reads(name: str) -> None:
    strict, strict_hashes = validation.in_memory(FIXTURES[name])
    lenient, lenient_hashes = validation.in_memory(FIXTURES[name], checked=True)
    assert lenient_hashes == strict_hashes
    for index in range(len(FIXTURES[name])):  # blank nodes aside, which each parse names anew
        graphs = [_rows(copy, validation.file_graph(index)) for copy in (strict, lenient)]
        assert graphs[0] == graphs[1]
    reports = [validation.report_of(copy) for copy in (strict, lenient)]
    assert set(reports[0].violations) == set(reports[1].violations)


def test_subclass_instances_meet_their_parents_shapes() -> None:
    report = validation.validate_files(FIXTURES["broken-entity"])
    assert any(v.focus.endswith("org/broken-office") for v in report.violations)


def test_summary_counts_per_shape_and_lists_the_first_problems() -> None:
    report = validation.validate_files(FIXTURES["broken-entity"])
    summary = report.text(limit=1)
    assert f"{len(report.violations):,} problem(s) found:" in summary
    assert all(f"from {shape}" in summary for shape, _ in report.per_shape())
    assert summary.count("\n- ") == 1
    assert "more (full report: --full)" in summary
    assert report.text().count("\n- ") == len(report.violations)


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_a_summary_read_from_the_rows_says_what_the_full_report_says(name: str) -> None:
    data, _ = validation.in_memory(FIXTURES[name])
    report = validation.report_of(data)
    for limit in (1, 5, 10_000):
        assert validation.summary_of(data, limit) == report.summary(limit)


def test_rows_that_a_name_cannot_tell_apart_are_read_in_full() -> None:
    check = shacl.Check("", NamedNode("urn:shape"), "a fixed message", NamedNode("urn:p"))
    answers = b"?this\t?path\n<urn:a>\t\n_:b\t<urn:q>\n<urn:a>\t<urn:p>\n"
    assert check.foci(answers) == {"urn:p": {"urn:a"}, "urn:q": {"_:b"}}
    assert check.foci(b'?this\n<urn:a>\n"a literal"\n') is None
    filled = shacl.Check("", NamedNode("urn:shape"), "{?value} is wrong")
    assert filled.foci(b"?this\t?value\n<urn:a>\t<urn:b>\n") is None
    assert check.foci(b"") == {}


def test_load_commits_then_prints_a_summary(runner: CliRunner, data_dir: Path) -> None:
    result = runner.invoke(main, ["load", str(data_dir / "broken-entity.ttl")])
    assert result.exit_code == 0
    assert "Loaded 10 triples" in result.output
    assert "problem(s) found" in result.output
    query = ["query", "ASK { ?s a <https://w3id.org/civicgraph/ontology#Person> }"]
    assert "true" in runner.invoke(main, query).output


def test_load_can_skip_validation(runner: CliRunner, data_dir: Path) -> None:
    result = runner.invoke(main, ["load", "--no-validate", str(data_dir / "broken-entity.ttl")])
    assert result.exit_code == 0
    assert "problem" not in result.output


def test_a_load_that_fails_stops_its_validation_and_reports_the_syntax_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text("<https://example.org/a> <https://example.org/p> .\n", encoding="utf-8")
    result = runner.invoke(main, ["load", str(broken)])
    assert result.exit_code != 0
    assert f"{broken}:1:" in result.output
    assert "problem(s) found" not in result.output


@pytest.mark.parametrize(
    "constraint",
    ["sh:minInclusive 1", "sh:path ( ex:p ex:q )", "sh:or ( [ sh:path ex:q ; sh:minCount 2 ] )"],
    ids=["unknown-component", "path-sequence", "nested-count"],
)
def test_a_shape_the_validator_cannot_compile_is_refused(constraint: str) -> None:
    """The shapes cannot outgrow the validator unnoticed: what it cannot check is an error."""
    shape = f"ex:Shape sh:targetClass ex:Thing ; sh:property [ sh:path ex:p ; {constraint} ] ."
    with pytest.raises(shacl.UnsupportedShapeError):
        _compiled(shape)


_SHAPES_PREFIXES = (
    "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <https://example.org/> .\n"
    "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n"
)


def _compiled(shapes_text: str) -> tuple[shacl.Check, ...]:
    shapes = Store()
    shapes.load((_SHAPES_PREFIXES + shapes_text).encode(), format=RdfFormat.TURTLE)
    return shacl.compile_shapes(shapes)


def _foci(checks: tuple[shacl.Check, ...], data_text: str) -> set[tuple[str, str]]:
    data = Store()
    data.load(data_text.encode(), format=RdfFormat.TURTLE, base_iri="https://example.org/")
    return {(f.focus.value, f.message) for f in shacl.validate(data, checks)}


def test_a_list_of_properties_is_read_property_by_property_with_the_same_answers() -> None:
    """``FILTER(?p IN (…))`` on a predicate's variable runs as ``VALUES``; a list that
    tests an object, or holds literals, stays a filter; the problems are the same."""
    checks = _compiled(
        """ex:S sh:targetSubjectsOf ex:a ; sh:sparql [ sh:message "p" ; sh:select \"""
        SELECT $this ?p WHERE { $this ?p ?v .
          FILTER(?p IN (<https://example.org/a>,<https://example.org/b>, <https://example.org/a>))
          FILTER NOT EXISTS { $this <https://example.org/ok> ?v } }\""" ] .
        ex:T sh:targetSubjectsOf ex:c ; sh:sparql [ sh:message "v" ; sh:select \"""
        SELECT $this ?v WHERE { $this <https://example.org/c> ?v . FILTER(?v IN ("x", "y"))
          FILTER NOT EXISTS { $this <https://example.org/ok> ?v } }\""" ] ."""
    )
    by_property, by_value = sorted(checks, key=lambda c: c.message)
    assert "VALUES ?p { <https://example.org/a> <https://example.org/b> }" in by_property.query
    assert "FILTER(?v IN" in by_value.query
    found = _foci(
        checks,
        """<n1> <a> <o> ; <b> <o> ; <other> <o> .  <n2> <a> <o> ; <ok> <o> .
        <n3> <c> "x" , "z" .  <n4> <c> "y" ; <ok> "y" .""",
    )
    assert found == {("https://example.org/n1", "p"), ("https://example.org/n3", "v")}


def test_a_count_the_way_nodes_are_found_guarantees_is_not_checked() -> None:
    """An instance of a class has a type and a subject of ``ex:p`` has one: those
    checks are left out; at least one ``ex:q`` of a subject of ``ex:p`` is not."""
    checks = _compiled(
        """ex:C sh:targetClass ex:Thing ; sh:property [ sh:path rdf:type ; sh:minCount 1 ] .
        ex:P sh:targetSubjectsOf ex:p ;
            sh:property [ sh:path ex:p ; sh:minCount 1 ] , [ sh:path ex:q ; sh:minCount 1 ] .
        ex:O sh:targetObjectsOf ex:p ; sh:property [ sh:path rdf:type ; sh:minCount 1 ] ."""
    )
    assert sorted(c.path.value if c.path else "" for c in checks) == [
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
        "https://example.org/q",
    ]
    found = _foci(checks, "<n> a <Thing> ; <p> <m> .")
    assert found == {
        ("https://example.org/n", "needs at least 1 value(s)"),
        ("https://example.org/m", "needs at least 1 value(s)"),
    }


def _constraint(where: str) -> str:
    """A node shape for the subjects of ``ex:a`` with a SPARQL constraint of ``where``."""
    select = f"SELECT $this ?path ?value WHERE {{ {where} }}"
    return (
        f'ex:S sh:targetSubjectsOf ex:a ; sh:sparql [ sh:message "m" ; sh:select """{select}""" ] .'
    )


_EX = "https://example.org/"
_NOT_OK = f"FILTER NOT EXISTS {{ $this <{_EX}ok> ?value }}"
#: Shapes whose checks a rewrite could get wrong, each with data that tells.
_REWRITTEN_OR_NOT: dict[str, tuple[str, str]] = {
    "predicates-listed": (
        _constraint(f"$this ?path ?value . FILTER(?path IN (<{_EX}a>, <{_EX}b>)) {_NOT_OK}"),
        "<n> <a> <o> ; <b> <o2> ; <c> <o3> . <m> <a> <o> ; <ok> <o> .",
    ),
    "variable-bound-nowhere": (
        _constraint(f"$this <{_EX}a> ?value . FILTER(?p IN (<{_EX}a>)) {_NOT_OK}"),
        "<n> <a> <o> .",
    ),
    "variable-in-a-comment": (
        _constraint(f"# ?x ?p ?y\n $this <{_EX}a> ?value . FILTER(?p IN (<{_EX}a>)) {_NOT_OK}"),
        "<n> <a> <o> .",
    ),
    "class-and-a-label": (
        "ex:C sh:targetClass ex:Thing ; sh:property [ sh:path ex:label ; sh:minCount 1 ] .",
        "<n> a <Thing> .",
    ),
    "bind-before-the-pattern": (
        _constraint(
            f"FILTER(?p IN (<{_EX}a>)) BIND(COALESCE(?p, <{_EX}none>) AS ?path) "
            f"$this ?p ?value . {_NOT_OK}"
        ),
        "<n> <a> <o> ; <b> <o> .",
    ),
    "class-and-objects-of": (
        "ex:C sh:targetClass ex:Thing ; sh:targetObjectsOf ex:p ;"
        " sh:property [ sh:path rdf:type ; sh:minCount 1 ] .",
        "<n> a <Thing> ; <p> <m> .",
    ),
    "subjects-of-two": (
        "ex:C sh:targetSubjectsOf ex:p , ex:q ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .",
        "<n> <p> <x> . <m> <q> <x> .",
    ),
    "two-types-wanted": (
        "ex:C sh:targetClass ex:Thing ; sh:property [ sh:path rdf:type ; sh:minCount 2 ] .",
        "<n> a <Thing> .",
    ),
}


@pytest.mark.parametrize("case", sorted(_REWRITTEN_OR_NOT))
def test_a_check_the_compiler_shortens_finds_what_pyshacl_finds(case: str) -> None:
    """The list of properties read as ``VALUES`` and the counts left out change no
    result, including where a variable is bound only by its filter, a ``BIND`` reads it
    first, or only some targets guarantee a value."""
    shapes_text, data_text = _REWRITTEN_OR_NOT[case]
    data = Store()
    data.load(data_text.encode(), format=RdfFormat.TURTLE, base_iri=_EX)
    mine = {
        (f.focus.value, f.path.value if f.path else "")
        for f in shacl.validate(data, _compiled(shapes_text))
    }
    shapes = Graph().parse(data=_SHAPES_PREFIXES + shapes_text, format="turtle")
    report = pyshacl.validate(
        Graph().parse(data=data_text, format="turtle", publicID=_EX), shacl_graph=shapes
    )[1]
    expected = {
        (str(report.value(r, SH.focusNode)), str(report.value(r, SH.resultPath) or ""))
        for r in report.subjects(RDF_TYPE, SH.ValidationResult)
    }
    assert mine == expected
    assert expected or case in (
        "two-types-wanted",
        "variable-bound-nowhere",
        "variable-in-a-comment",
    )


def test_a_list_of_numbers_stays_a_filter() -> None:
    """``IN`` compares numbers by value (1.0 is 1), where ``VALUES`` would match the
    term 1 only: a list that is not all IRIs is not rewritten. (rdflib compares them as
    terms, so pyshacl cannot be the reference here.)"""
    checks = _compiled(_constraint(f"$this <{_EX}a> ?value FILTER(?value IN (1)) {_NOT_OK}"))
    data = '<n> <a> "1.0"^^<http://www.w3.org/2001/XMLSchema#decimal> .'
    assert {focus for focus, _ in _foci(checks, data)} == {f"{_EX}n"}


CIV = "https://w3id.org/civicgraph/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"
_NODES = [f"<https://w3id.org/civicgraph/id/thing/{n}>" for n in "ab"]
_CLASSES = [
    *(f"<{CIV}{c}>" for c in ["Organization", "GovernmentAgency", "Person", "Document"]),
    *(f"<{CIV}{c}>" for c in ["Report", "MonetaryAmount", "Goal", "GoalScheme", "Place"]),
    *(f"<{CIV}{c}>" for c in ["Event", "Membership", "Initiative"]),
    "<http://www.w3.org/1999/02/22-rdf-syntax-ns#Statement>",
]
_PREDICATES = [
    "<http://www.w3.org/2000/01/rdf-schema#label>",
    "<http://purl.org/dc/terms/title>",
    "<http://purl.org/dc/terms/date>",
    "<http://www.w3.org/ns/prov#wasDerivedFrom>",
    "<https://schema.org/url>",
    "<http://www.w3.org/1999/02/22-rdf-syntax-ns#subject>",
    "<http://www.w3.org/1999/02/22-rdf-syntax-ns#predicate>",
    "<http://www.w3.org/1999/02/22-rdf-syntax-ns#object>",
    "<http://www.w3.org/2004/02/skos/core#inScheme>",
    *(f"<{CIV}{p}>" for p in ["founder", "subOrganizationOf", "datePublished", "value"]),
    *(f"<{CIV}{p}>" for p in ["descriptiveLabel", "currency", "confidence", "role"]),
    *(f"<{CIV}{p}>" for p in ["sourceLocation", "memberCount", "member", "organization"]),
    *(f"<{CIV}{p}>" for p in ["restates", "renamedTo", "asOfDate", "foundingDate"]),
]
_LITERALS = [
    '"Label"@en',
    '"plain"',
    '"USD"',
    '"usd"',
    '"facts row 2"',
    '"12"^^<' + XSD + "integer>",
    '"12.5"^^<' + XSD + "integer>",
    '"1.5"^^<' + XSD + "decimal>",
    '"true"^^<' + XSD + "boolean>",
    '"2019-03-01"^^<' + XSD + "date>",
    '"2019-02-30"^^<' + XSD + "date>",
    '"2019"^^<' + XSD + "gYear>",
    '"2019-03"^^<' + XSD + "gYearMonth>",
    '"https://example.org/"^^<' + XSD + "anyURI>",
]
_VALUES = _NODES + _LITERALS + [f"<{CIV}HighConfidence>", f"<{CIV}Certain>"]


@st.composite
def _graphs(draw: st.DrawFn) -> str:
    """A few typed nodes with random statements between them and to literals."""
    types = draw(
        st.lists(st.tuples(st.sampled_from(_NODES), st.sampled_from(_CLASSES)), max_size=6)
    )
    facts = draw(
        st.lists(
            st.tuples(
                st.sampled_from(_NODES), st.sampled_from(_PREDICATES), st.sampled_from(_VALUES)
            ),
            max_size=30,
        )
    )
    rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    lines = [f"{s} {rdf_type} {c} ." for s, c in types] + [f"{s} {p} {o} ." for s, p, o in facts]
    return "\n".join(lines) + "\n"


@pytest.mark.heavy
@settings(max_examples=150, deadline=None, derandomize=True)
@given(_graphs())
def test_engine_agrees_with_pyshacl_on_generated_graphs(data: str) -> None:
    """Random small graphs over the shapes' vocabulary, ill-formed literals included."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "generated.nt"
        path.write_text(data, encoding="utf-8")
        assert _mine(validation.validate_files([path])) == _reference([path])


def test_a_check_process_that_dies_leaves_the_load_its_rows_and_says_so(
    data_dir: Path, tmp_path: Path
) -> None:
    """Killed (out of memory, say) before it answered: the version log reads the
    graphs back from the store instead, and the summary is a clear error."""
    paths = [data_dir / "broken-entity.ttl"]
    copy = Beside(paths, rows_of={0}, staging=tmp_path, validate=True, limit=5)
    copy._process.kill()  # the process dying is what is tested
    assert copy.rows() is None
    with pytest.raises(CivicgraphError, match=r"stopped .* before it finished"):
        copy.summary()


def test_rows_slower_than_the_checks_still_come_back(tmp_path: Path) -> None:
    """The rows are staged in a fork while the checks run: data outside the shapes is
    checked at once, and its blank nodes (more than a megabyte of rows, named in a
    process of their own) take longer; the checks ending first must not end the rows."""
    path = tmp_path / "blank.nt"
    chain = "".join(
        f'_:b{i} <http://example.org/next> _:b{i + 1} .\n_:b{i} <http://example.org/n> "{i}" .\n'
        for i in range(30_000)
    )
    path.write_text(chain, encoding="utf-8")
    copy = Beside([path], rows_of={0}, staging=tmp_path / "log", validate=True, limit=5)
    rows = copy.rows()
    assert rows is not None
    assert rows[0].known.triples == 60_000
    assert copy.summary() is None


def test_a_rows_fork_that_dies_leaves_the_report(tmp_path: Path) -> None:
    """The rows come from a fork and the report from the process: the fork killed as
    it stages (out of memory, say), the version log reads the graph back from the
    store, and the report still comes."""
    path = tmp_path / "blank.nt"
    path.write_text(
        "".join(f"_:b{i} <http://example.org/next> _:b{i + 1} .\n" for i in range(60_000)),
        encoding="utf-8",
    )
    copy = Beside([path], rows_of={0}, staging=tmp_path / "log", validate=True, limit=5)
    children = Path(f"/proc/{copy._process.pid}/task/{copy._process.pid}/children")
    deadline = time.monotonic() + 60
    while not (forks := children.read_text().split()):
        assert time.monotonic() < deadline
        time.sleep(0.002)
    os.kill(int(forks[0]), 9)  # the fork dying is what is tested
    assert copy.rows() is None
    assert copy.summary() is None  # the data is outside the shapes: it conforms


def test_the_check_process_leaves_the_cores_to_the_load_first(data_dir: Path) -> None:
    """It runs below the command's priority: the load is what the command waits for."""
    paths = [data_dir / "broken-entity.ttl"]
    copy = Beside(paths, rows_of={0}, staging=None, validate=True, limit=5)
    pid, deadline = copy._process.pid, time.monotonic() + 60
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    # Until the process is joined, its priority can be read, even once it has ended.
    while os.getpriority(os.PRIO_PROCESS, pid) != mine + NICE:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    assert copy.rows()
    assert copy.summary()


_FORKED_COPY = """
import os, signal, sys, threading
from pathlib import Path
from civicgraph.dataset.beside import Beside, start_context
if sys.argv[1] == "thread":
    threading.Thread(target=threading.Event().wait, daemon=True).start()
paths = [Path(p) for p in sys.argv[2:]]
copy = Beside(paths, rows_of={0}, staging=None, validate=True, limit=5)
forked = type(copy._process).__name__ == "ForkProcess"
rows = copy.rows()
triples = rows[0].known.triples if rows else None
os.kill(copy._process.pid, signal.SIGINT)  # a Ctrl-C as the checks run
print(start_context().get_start_method(), forked, triples, bool(copy.summary()))
"""


@pytest.mark.parametrize(("threads", "expected"), [("one", "fork"), ("thread", "spawn")])
def test_the_check_process_is_a_fork_only_of_a_process_with_one_thread(
    data_dir: Path, threads: str, expected: str
) -> None:
    """A fork has the command's modules already (a new interpreter imports them again
    first); with a second thread, whose locks a fork would copy, it is a new interpreter.
    Either way the rows and the summary come back, a Ctrl-C during the checks left to
    the command (which kills the process) instead of ending it with a traceback."""
    paths = [*FIXTURES["bundled"], data_dir / "broken-entity.ttl"]
    ran = subprocess.run(
        [sys.executable, "-c", _FORKED_COPY, threads, *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    method, forked, triples, summary = ran.stdout.split()
    assert (method, forked) == (expected, str(expected == "fork"))
    assert int(triples) > 0
    assert summary == "True"
    assert "Traceback" not in ran.stderr


def test_the_check_process_is_a_new_interpreter_where_threads_cannot_be_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unreadable(path: str) -> list[str]:
        raise PermissionError(path)

    monkeypatch.setattr(os, "listdir", unreadable)
    assert start_context().get_start_method() == "spawn"

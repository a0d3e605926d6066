"""SHACL shapes compiled to SPARQL queries that answer for every focus node at once.

An engine that walks focus nodes one by one pays per node, and for the evidence
constraints per node times the statements it searches: validating a loaded file took
minutes per 100k triples. Here each property shape becomes one query over the whole
graph (counts by ``GROUP BY``, value tests as filter expressions), each node-level
component another, and the store evaluates them at its own speed.

A SPARQL-based constraint of the form ``{ A FILTER NOT EXISTS { B } }``, with ``A`` a
basic pattern that binds ``$this``, runs as ``{ A MINUS { A B } }``: every variable
``NOT EXISTS`` would substitute is bound by ``A`` on both sides, so the rows are the
same, and the store answers ``MINUS`` in one pass instead of one sub-query per row.
In ``A``, a list of properties (``FILTER(?p IN (…))`` on a predicate's variable) is
read as ``VALUES`` (``_as_values``), and a count that the way focus nodes are found
guarantees is not checked at all (``_Targets.always_have``).

Where the focus nodes only narrow a check (a value test, too many values), the check
first asks whether its pattern matches anywhere at all (``Check.probe``): on data that
meets the constraint, that answer is a lookup and the focus nodes are never listed.

Only the constraint components the project's shapes use are compiled. Any other
SHACL term on a shape is refused when the shapes are read (``UnsupportedShapeError``), so
the shapes cannot outgrow the engine unnoticed; ``tests/test_validation.py`` compares
the results with pyshacl's.
"""

import itertools
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Final, NamedTuple, TypeAlias

from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    QueryResultsFormat,
    QuerySolutions,
    Store,
    Triple,
    parse_query_results,
)

from civicgraph.readmodels.labels import local_name
from civicgraph.vocab import RDF, RDFS, SH, XSD

Term: TypeAlias = NamedNode | BlankNode | Literal
#: How a check's rows pass from the store to Python: TSV writes every term exactly
#: (N-Triples syntax) and is the cheapest to write and read back.
_ANSWERS: Final = QueryResultsFormat.TSV
Shape: TypeAlias = NamedNode | BlankNode

#: Datatypes whose lexical forms the store checks by casting: an ill-formed value fails.
_CHECKED_LEXICALLY: Final = frozenset(
    {XSD.integer, XSD.decimal, XSD.double, XSD.float, XSD.boolean}
    | {XSD.date, XSD.dateTime, XSD.time, XSD.gYear, XSD.gYearMonth}
)
_NODE_KINDS: Final = {
    SH.IRI: "isIRI({v})",
    SH.BlankNode: "isBlank({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "!isLiteral({v})",
    SH.BlankNodeOrLiteral: "!isIRI({v})",
    SH.IRIOrLiteral: "!isBlank({v})",
}
#: Components that test one value node at a time.
_VALUE_TESTS: Final = (
    SH.datatype, SH.class_, SH.nodeKind, SH.in_, SH.pattern, SH.hasValue,
    SH.node, SH.or_, SH.and_, SH.not_, SH.xone,
)  # fmt: skip
_TARGETS: Final = (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf)
_OTHER: Final = (SH.property, SH.path, SH.minCount, SH.maxCount, SH.flags, SH.message)
_SPARQL: Final = (SH.sparql, SH.select, SH.prefixes)
_KNOWN: Final = frozenset({*_VALUE_TESTS, *_TARGETS, *_OTHER, *_SPARQL, SH.severity})
#: The one form of SPARQL-based constraint rewritten to ``MINUS`` (see the module doc).
_NOT_EXISTS: Final = re.compile(
    r"\s*SELECT\s+(?P<vars>[^{]*?)\s*WHERE\s*\{(?P<outer>[^{}]*?)"
    r"FILTER\s+NOT\s+EXISTS\s*\{(?P<inner>[^{}]*)\}\s*\}\s*",
    re.IGNORECASE | re.DOTALL,
)
#: A filter keeping the rows whose variable is one of a list (``FILTER(?p IN (a, b))``).
_IN_LIST: Final = re.compile(
    r"FILTER\s*\(\s*\?(?P<var>\w+)\s+IN\s*\((?P<members>[^()\"']*)\)\s*\)", re.IGNORECASE
)
#: What ``_as_values`` leaves alone: a ``BIND`` or ``VALUES`` (where a variable is
#: bound depends on its place, and a filter's does not), a comment or a string (text
#: that reads as a pattern or a filter but is not one).
_NOT_PLAIN: Final = re.compile(r"[#\"']|\b(?:BIND|VALUES)\b", re.IGNORECASE)
#: An IRI, written whole or with a prefix.
_IRI: Final = re.compile(r"<[^<>\s]*>|[A-Za-z][\w.-]*:[\w.-]*")
#: SHACL's instance-of: typed by the class or by one of its subclasses.
_INSTANCE_OF: Final = f"{RDF.type}/{RDFS.subClassOf}*"
_PLACEHOLDER: Final = re.compile(r"\{[?$](this|value|path)\}")


class UnsupportedShapeError(ValueError):
    """The shapes use a SHACL feature this engine does not compile."""


class Finding(NamedTuple):
    """One problem: the node, the property (if any), the value, and what is wrong.

    A tuple, not a dataclass: a large file has hundreds of thousands of problems, and
    a frozen dataclass takes twice as long to make and hash.
    """

    focus: Term
    path: NamedNode | None
    value: Term | None
    message: str
    severity: NamedNode
    shape: Shape


@dataclass(frozen=True)
class Check:
    """One query whose rows are problems: one constraint component of one shape.

    Each row binds ``?this`` and may bind ``?value`` and ``?path``.
    """

    query: str
    shape: Shape
    message: str
    path: NamedNode | None = None
    severity: NamedNode = SH.Violation
    #: An ASK that holds wherever ``query`` has a row: its pattern without the focus
    #: nodes, where those only narrow it. A value found nowhere in the data is not
    #: searched for among the focus nodes: on data that meets the constraint, the
    #: check is one lookup instead of a walk over every focus node.
    probe: str | None = None

    def answers(self, store: Store) -> bytes:
        """The rows of problems in the union of ``store``'s graphs, serialized (no bytes
        at all where the probe says there is none).

        pyoxigraph evaluates and serializes without holding the interpreter lock, so
        checks run side by side on threads; iterating the rows in Python would hold it.
        A triple in two graphs is seen twice; counts are of distinct values, as SHACL's
        are, and the same problem found twice is one problem, so that changes nothing.
        """
        if self.probe is not None and not store.query(self.probe, use_default_graph_as_union=True):
            return b""
        solutions = store.query(self.query, use_default_graph_as_union=True)
        assert isinstance(solutions, QuerySolutions)
        return solutions.serialize(format=_ANSWERS) or b""

    def findings(self, answers: bytes) -> Iterator[Finding]:
        """The problems in ``answers``, this check's serialized rows."""
        if not answers:
            return
        filled = _PLACEHOLDER.search(self.message) is not None
        rows = parse_query_results(answers, format=_ANSWERS)
        assert isinstance(rows, QuerySolutions)
        for row in rows:
            # A variable the query does not bind reads as None.
            focus, value, path = row["this"], row["value"], row["path"]
            path = path if isinstance(path, NamedNode) else self.path
            text = _fill(self.message, focus, value, path) if filled else self.message
            yield Finding(focus, path, value, text, self.severity, self.shape)

    def foci(self, answers: bytes) -> dict[str, set[str]] | None:
        """The problems in ``answers`` as their focus nodes' names (``display``) by
        path name, when that is all that tells them apart: the message is the same for
        every row and every focus node is an IRI or a blank node. None otherwise
        (``findings`` reads them).

        A summary needs no more than this, and reading the rows as bytes costs a
        fraction of making a ``Finding`` of each (a large file has a million).
        """
        lines = answers.splitlines()
        if _PLACEHOLDER.search(self.message) or not lines:
            return None if lines else {}
        header = lines[0].split(b"\t")
        if b"?this" not in header:
            return None
        this = header.index(b"?this")
        rows = [line.split(b"\t") for line in lines[1:]]
        fixed = display(self.path)
        if b"?path" not in header:
            names = {_name(row[this]) for row in rows}
            return None if "" in names else {fixed: names} if names else {}
        at, found = header.index(b"?path"), dict[str, set[str]]()
        for row in rows:
            name, path = _name(row[this]), row[at]
            if not name:
                return None
            found.setdefault(path[1:-1].decode() if path[:1] == b"<" else fixed, set()).add(name)
        return found


def _name(cell: bytes) -> str:
    """An IRI's or blank node's name (``display``) from its TSV cell; '' for any other."""
    if cell[:1] == b"<":
        return cell[1:-1].decode()
    return cell.decode() if cell[:2] == b"_:" else ""


def _fill(message: str, this: Term, value: Term | None, path: Term | None) -> str:
    """Put the row's terms into ``{?value}``-style placeholders, as SHACL messages do."""
    terms = {"this": this, "value": value, "path": path}
    return _PLACEHOLDER.sub(lambda m: display(terms[m.group(1)]), message)


def display(term: Term | None) -> str:
    """A term as a reader sees it: an IRI or blank node by name, a literal by its text."""
    if term is None:
        return ""
    if isinstance(term, BlankNode):
        return "_:" + term.value
    return term.value


@dataclass
class _Targets:
    """Which nodes a set of node shapes applies to, as one SPARQL group."""

    classes: set[Term] = field(default_factory=set)
    subjects_of: set[Term] = field(default_factory=set)
    objects_of: set[Term] = field(default_factory=set)

    def add(self, other: "_Targets") -> None:
        self.classes |= other.classes
        self.subjects_of |= other.subjects_of
        self.objects_of |= other.objects_of

    def always_have(self, path: NamedNode) -> bool:
        """Whether every focus node has a value of ``path`` by the way it is found: an
        instance of a class has an ``rdf:type``, a subject of a property that property.

        A check for at least one such value can find nothing, yet took 0.2-0.35 s at a
        million triples to list every entity and look for its type.
        """
        found_by = []
        if self.classes:
            found_by.append(path == RDF.type)
        if self.subjects_of:
            found_by.append(self.subjects_of == {path})
        if self.objects_of:
            found_by.append(False)
        return bool(found_by) and all(found_by)

    def focus(self) -> str:
        """A sub-query binding ``?this`` to each focus node once."""
        parts = []
        if self.classes:
            parts.append(
                f"{{ ?this {_INSTANCE_OF} ?class . VALUES ?class {{ {_terms(self.classes)} }} }}"
            )
        if self.subjects_of:
            values = _terms(self.subjects_of)
            parts.append(f"{{ ?this ?target [] . VALUES ?target {{ {values} }} }}")
        if self.objects_of:
            values = _terms(self.objects_of)
            parts.append(f"{{ [] ?target ?this . VALUES ?target {{ {values} }} }}")
        return f"{{ SELECT DISTINCT ?this WHERE {{ {' UNION '.join(parts)} }} }}"


def _terms(terms: set[Term]) -> str:
    return " ".join(sorted(str(t) for t in terms))


class _Graph:
    """The shapes graph, read one shape at a time."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def objects(self, subject: Term, predicate: NamedNode) -> list[Term]:
        quads = self._store.quads_for_pattern(subject, predicate, None)  # type: ignore[arg-type]
        return [q.object for q in quads if not isinstance(q.object, Triple)]

    def one(self, subject: Term, predicate: NamedNode) -> Term | None:
        found = self.objects(subject, predicate)
        return found[0] if found else None

    def items(self, head: Term) -> list[Term]:
        """The members of an RDF list."""
        members = []
        while head != RDF.nil:
            members.append(self._required(head, RDF.first))
            head = self._required(head, RDF.rest)
        return members

    def _required(self, subject: Term, predicate: NamedNode) -> Term:
        found = self.one(subject, predicate)
        if found is None:
            raise UnsupportedShapeError(f"{display(subject)} has no {predicate}")
        return found

    def shapes(self) -> list[Shape]:
        """Every shape with a target, in a stable order."""
        found = {
            q.subject
            for target in _TARGETS
            for q in self._store.quads_for_pattern(None, target, None)
        }
        return sorted(found, key=str)  # type: ignore[arg-type]

    def read(self, shape: Term) -> dict[NamedNode, list[Term]]:
        """A shape's SHACL terms, refusing any this engine does not compile."""
        found: dict[NamedNode, list[Term]] = {}
        for quad in self._store.quads_for_pattern(shape, None, None):  # type: ignore[arg-type]
            predicate = quad.predicate
            if predicate.value.startswith(SH.namespace) and predicate not in _KNOWN:
                raise UnsupportedShapeError(f"{display(shape)} uses {predicate.value}")
            if not isinstance(quad.object, Triple):
                found.setdefault(predicate, []).append(quad.object)
        return found


class _Compiler:
    """Turns shapes into checks; expressions for nested shapes use fresh variables."""

    def __init__(self, graph: _Graph) -> None:
        self._graph = graph
        self._fresh = itertools.count()

    def checks(self) -> list[Check]:
        """A check per node-level component and SPARQL constraint, a few per property shape."""
        checks: list[Check] = []
        properties: dict[Term, _Targets] = {}
        for shape in self._graph.shapes():
            terms = self._graph.read(shape)
            targets = _targets(terms)
            checks += self._node_checks(shape, terms, targets)
            for prop in terms.get(SH.property, []):
                properties.setdefault(prop, _Targets()).add(targets)
        for prop, targets in sorted(properties.items(), key=lambda item: str(item[0])):
            checks += self._property_checks(prop, targets)  # type: ignore[arg-type]
        return checks

    def _node_checks(
        self, shape: Shape, terms: dict[NamedNode, list[Term]], targets: _Targets
    ) -> list[Check]:
        if SH.path in terms:
            raise UnsupportedShapeError(f"{display(shape)}: a property shape with its own targets")
        severity, focus = _severity(terms), targets.focus()
        checks = [self._sparql(shape, c, targets, severity) for c in terms.get(SH.sparql, [])]
        for failing, message in self._failing(terms, "?this"):
            query = f"SELECT ?this (?this AS ?value) WHERE {{ {focus} {failing} }}"
            checks.append(Check(query, shape, _message(terms, message), severity=severity))
        return checks

    def _property_checks(self, prop: Shape, targets: _Targets) -> list[Check]:
        terms = self._graph.read(prop)
        path, severity, focus = _path(prop, terms), _severity(terms), targets.focus()
        checks = []
        for component, limit in _limits(terms):
            if component == SH.minCount and limit == 1 and targets.always_have(path):
                continue
            query = _count_failing(focus, path, component, limit)
            message = _message(terms, _COUNT_MESSAGES[component].format(limit=limit))
            # Too many values is found without the focus nodes; too few is not.
            probe = _too_many_anywhere(path, limit) if component == SH.maxCount else None
            checks.append(Check(query, prop, message, path, severity, probe))
        values = {k: v for k, v in terms.items() if k != SH.hasValue}
        for failing, default in self._failing(values, "?value"):
            found = f"?this {path} ?value . {failing}"
            query, probe = f"SELECT ?this ?value WHERE {{ {focus} {found} }}", f"ASK {{ {found} }}"
            checks.append(Check(query, prop, _message(terms, default), path, severity, probe))
        for wanted in terms.get(SH.hasValue, []):
            missing = f"FILTER NOT EXISTS {{ ?this {path} {_constant(wanted)} }}"
            query = f"SELECT ?this WHERE {{ {focus} {missing} }}"
            message = _message(terms, f"needs the value {display(wanted)}")
            checks.append(Check(query, prop, message, path, severity))
        return checks

    def _sparql(
        self, shape: Shape, constraint: Term, targets: _Targets, severity: NamedNode
    ) -> Check:
        terms = self._graph.read(constraint)
        select = terms.get(SH.select, [None])[0]
        if select is None:
            raise UnsupportedShapeError(f"{display(shape)}: a SPARQL constraint without sh:select")
        text = select.value.replace("$this", "?this")
        found = _NOT_EXISTS.fullmatch(text)
        if found and "?this" in found["outer"]:
            outer = _as_values(found["outer"])
            where = f"{outer} MINUS {{ {outer} {found['inner']} }}"
            query = f"SELECT {found['vars']} WHERE {{ {targets.focus()} {where} }}"
        else:
            query = f"SELECT * WHERE {{ {targets.focus()} {{ {text} }} }}"
        prefixes = "".join(self._prefixes(terms))
        message = terms.get(SH.message, [Literal("does not meet a SPARQL constraint")])[0]
        return Check(prefixes + query, shape, message.value, severity=severity)

    def _prefixes(self, terms: dict[NamedNode, list[Term]]) -> Iterator[str]:
        for declarations in terms.get(SH.prefixes, []):
            for declaration in self._graph.objects(declarations, SH.declare):
                prefix = self._graph.one(declaration, SH.prefix)
                namespace = self._graph.one(declaration, SH.namespace_)
                if prefix is not None and namespace is not None:
                    yield f"PREFIX {prefix.value}: <{namespace.value}>\n"

    def _value_tests(self, terms: dict[NamedNode, list[Term]], var: str) -> list[tuple[str, str]]:
        """Each value component of a shape as (SPARQL test of ``var``, default message)."""
        return [
            self._test(component, argument, terms, var)
            for component in _VALUE_TESTS
            for argument in terms.get(component, [])
        ]

    def _failing(self, terms: dict[NamedNode, list[Term]], var: str) -> list[tuple[str, str]]:
        """Each value component as (pattern keeping the values that fail it, message).

        A class test is a ``MINUS``, which the store answers about twice as fast as
        an ``EXISTS`` evaluated for every value.
        """
        found = []
        for component in _VALUE_TESTS:
            for argument in terms.get(component, []):
                test, message = self._test(component, argument, terms, var)
                if component == SH.class_:
                    found.append((f"MINUS {{ {var} {_INSTANCE_OF} {argument} }}", message))
                else:
                    found.append((f"FILTER(!COALESCE({test}, false))", message))
        return found

    def _test(
        self, component: NamedNode, argument: Term, terms: dict[NamedNode, list[Term]], var: str
    ) -> tuple[str, str]:
        """One value component as (SPARQL test of ``var``, default message)."""
        if component in (SH.node, SH.not_, SH.or_, SH.and_, SH.xone):
            return self._logical(component, argument, var)
        if component == SH.in_:
            allowed = self._graph.items(argument)
            test = " || ".join(f"sameTerm({var}, {_constant(t)})" for t in allowed) or "false"
            return f"({test})", f"{{?value}} is not one of {', '.join(map(display, allowed))}"
        return _TESTS[component](argument, terms, var)

    def _logical(self, component: NamedNode, argument: Term, var: str) -> tuple[str, str]:
        if component == SH.node:
            message = f"{{?value}} does not conform to {local_name(argument.value)}"
            return self._conforms(argument, var), message
        if component == SH.not_:
            return f"!{self._conforms(argument, var)}", "{?value} conforms to a shape it must not"
        members = [self._conforms(m, var) for m in self._graph.items(argument)]
        if component == SH.or_:
            return f"({' || '.join(members) or 'false'})", "{?value} meets none of the alternatives"
        if component == SH.and_:
            return f"({' && '.join(members) or 'true'})", "{?value} misses one of the shapes"
        counted = " + ".join(f"IF({m}, 1, 0)" for m in members) or "0"
        return f"(({counted}) = 1)", "{?value} does not meet exactly one of the alternatives"

    def _conforms(self, shape: Term, var: str) -> str:
        """Whether the node in ``var`` conforms to ``shape``, as one expression."""
        terms = self._graph.read(shape)
        if SH.path in terms:  # a property shape: its tests are on the values, not the node
            return f"({' && '.join(self._property_holds(shape, terms, var)) or 'true'})"  # type: ignore[arg-type]
        parts = [f"COALESCE({t}, false)" for t, _ in self._value_tests(terms, var)]
        for prop in terms.get(SH.property, []):
            parts += self._property_holds(prop, self._graph.read(prop), var)  # type: ignore[arg-type]
        return f"({' && '.join(parts) or 'true'})"

    def _property_holds(
        self, prop: Shape, terms: dict[NamedNode, list[Term]], var: str
    ) -> list[str]:
        """A nested property shape's constraints on the node in ``var``, as expressions."""
        path, value = _path(prop, terms), f"?v{next(self._fresh)}"
        parts = [f"EXISTS {{ {var} {path} {_constant(t)} }}" for t in terms.get(SH.hasValue, [])]
        parts += [_nested_count(var, path, c, limit) for c, limit in _limits(terms)]
        tests = self._value_tests({k: v for k, v in terms.items() if k != SH.hasValue}, value)
        if tests:
            ok = " && ".join(f"COALESCE({t}, false)" for t, _ in tests)
            parts.append(f"NOT EXISTS {{ {var} {path} {value} FILTER(!({ok})) }}")
        return parts


def _as_values(pattern: str) -> str:
    """A group of triple patterns and filters with each ``FILTER(?v IN (IRIs))`` whose
    variable is a triple pattern's predicate written as ``VALUES ?v { IRIs }``.

    The store tests such a filter on every triple the pattern matches, all of them for
    a variable predicate, where ``VALUES`` reads only each listed property's triples:
    the evidence checks took 0.54 s instead of 0.87 at a million triples. The rows are
    the same: a triple pattern's variable is always bound, to an IRI in a predicate's
    place, and an IRI equals only itself. Only a group of triple patterns and filters
    is rewritten (``_NOT_PLAIN``). An IRI spelled two ways in a list gives its rows
    twice, as a triple in two graphs does; a report counts each problem once.
    """
    if _NOT_PLAIN.search(pattern):
        return pattern

    def rewritten(found: re.Match[str]) -> str:
        var = found["var"]
        members = list(dict.fromkeys(m.strip() for m in found["members"].split(",")))
        predicate = rf"(?:\?\w+|<[^<>\s]*>|[\w-]*:[\w.-]*)\s+\?{var}\s+[?<\w\"\[]"
        if not all(_IRI.fullmatch(m) for m in members) or not re.search(predicate, pattern):
            return found[0]
        return f"VALUES ?{var} {{ {' '.join(members)} }}"

    return _IN_LIST.sub(rewritten, pattern)


def _targets(terms: dict[NamedNode, list[Term]]) -> _Targets:
    return _Targets(
        set(terms.get(SH.targetClass, [])),
        set(terms.get(SH.targetSubjectsOf, [])),
        set(terms.get(SH.targetObjectsOf, [])),
    )


def _path(shape: Shape, terms: dict[NamedNode, list[Term]]) -> NamedNode:
    path = terms.get(SH.path, [None])[0]
    if not isinstance(path, NamedNode):
        raise UnsupportedShapeError(
            f"{display(shape)}: only a single property is supported as a path"
        )
    return path


def _severity(terms: dict[NamedNode, list[Term]]) -> NamedNode:
    severity = terms.get(SH.severity, [SH.Violation])[0]
    return severity if isinstance(severity, NamedNode) else SH.Violation


def _limits(terms: dict[NamedNode, list[Term]]) -> list[tuple[NamedNode, int]]:
    """The count limits that limit anything (``sh:minCount 0`` does not)."""
    found = [(c, int(terms[c][0].value)) for c in (SH.minCount, SH.maxCount) if c in terms]
    return [(c, n) for c, n in found if n or c == SH.maxCount]


_COUNT_MESSAGES: Final = {
    SH.minCount: "needs at least {limit} value(s)",
    SH.maxCount: "allows at most {limit} value(s)",
}


def _count_failing(focus: str, path: NamedNode, component: NamedNode, limit: int) -> str:
    """A query for the focus nodes with too few or too many values.

    The usual limits (at least one, at most one) are a ``MINUS`` and a self-join,
    which the store answers faster than counting every focus node's values (``MINUS``
    in one pass over the property: a fifth faster than ``NOT EXISTS`` for each node).
    """
    if component == SH.minCount and limit == 1:
        return f"SELECT ?this WHERE {{ {focus} MINUS {{ ?this {path} [] }} }}"
    if component == SH.minCount:
        return (
            f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {path} ?value }} }} "
            f"GROUP BY ?this HAVING(COUNT(DISTINCT ?value) < {limit})"
        )
    if limit == 1:
        pairs = f"?this {path} ?a, ?b FILTER(!sameTerm(?a, ?b))"
        return f"SELECT DISTINCT ?this WHERE {{ {focus} {pairs} }}"
    return (
        f"SELECT ?this WHERE {{ {focus} ?this {path} ?value }} "
        f"GROUP BY ?this HAVING(COUNT(DISTINCT ?value) > {limit})"
    )


def _too_many_anywhere(path: NamedNode, limit: int) -> str:
    """An ASK that holds wherever a node has more than ``limit`` values of ``path``, and
    perhaps elsewhere (a triple in two graphs counts twice there): a probe.

    For a limit of one it compares how many values there are with how many nodes have
    one, a single pass over the property, where pairing each node's values walks them
    again: a tenth of the time at a million triples.
    """
    if limit == 1:
        counted = "(COUNT(*) AS ?n) (COUNT(DISTINCT ?this) AS ?d)"
        return f"ASK {{ {{ SELECT {counted} WHERE {{ ?this {path} [] }} }} FILTER(?n > ?d) }}"
    return f"ASK {{ {{ {_count_failing('', path, SH.maxCount, limit)} }} }}"


def _nested_count(var: str, path: NamedNode, component: NamedNode, limit: int) -> str:
    """A count limit inside another shape: only the limits that need no counting."""
    if component == SH.minCount and limit == 1:
        return f"EXISTS {{ {var} {path} [] }}"
    if component == SH.maxCount and limit == 0:
        return f"NOT EXISTS {{ {var} {path} [] }}"
    if component == SH.maxCount and limit == 1:
        return f"NOT EXISTS {{ {var} {path} ?a, ?b FILTER(!sameTerm(?a, ?b)) }}"
    raise UnsupportedShapeError(f"a count limit of {limit} inside another shape")


Terms: TypeAlias = dict[NamedNode, list[Term]]


def _datatype(datatype: Term, _terms: Terms, var: str) -> tuple[str, str]:
    test = f"(isLiteral({var}) && sameTerm(datatype({var}), {datatype}))"
    if datatype in _CHECKED_LEXICALLY:  # the cast fails, and the test with it, if ill-formed
        test = f"({test} && isLiteral({datatype}({var})))"
    return test, f"{{?value}} is not a well-formed {local_name(datatype.value)}"


def _class(cls: Term, _terms: Terms, var: str) -> tuple[str, str]:
    return (
        f"EXISTS {{ {var} {_INSTANCE_OF} {cls} }}",
        f"{{?value}} is not a {local_name(cls.value)}",
    )


def _node_kind(kind: Term, _terms: Terms, var: str) -> tuple[str, str]:
    if kind not in _NODE_KINDS:
        raise UnsupportedShapeError(f"no node kind {display(kind)}")
    return _NODE_KINDS[kind].format(v=var), f"{{?value}} is not {local_name(kind.value)}"  # type: ignore[index]


def _pattern(pattern: Term, terms: Terms, var: str) -> tuple[str, str]:
    flags = _constant(terms.get(SH.flags, [Literal("")])[0])
    test = f"(!isBlank({var}) && REGEX(STR({var}), {_constant(pattern)}, {flags}))"
    return test, f"{{?value}} does not match {pattern.value}"


def _has_value(wanted: Term, _terms: Terms, var: str) -> tuple[str, str]:
    return f"sameTerm({var}, {_constant(wanted)})", f"{{?value}} is not {display(wanted)}"


#: The value components that need nothing but their argument.
_TESTS: Final[dict[NamedNode, Callable[[Term, Terms, str], tuple[str, str]]]] = {
    SH.datatype: _datatype,
    SH.class_: _class,
    SH.nodeKind: _node_kind,
    SH.pattern: _pattern,
    SH.hasValue: _has_value,
}


def _constant(term: Term) -> str:
    if isinstance(term, BlankNode):
        raise UnsupportedShapeError("a blank node as a constant in a shape")
    return str(term)


def _message(terms: dict[NamedNode, list[Term]], default: str) -> str:
    """The shape's own message when it has one, else the component's."""
    own = terms.get(SH.message)
    return own[0].value if own else default


def compile_shapes(shapes: Store) -> tuple[Check, ...]:
    """The checks that together validate a graph against the shapes in ``shapes``."""
    return tuple(_Compiler(_Graph(shapes)).checks())


def answered(data: Store, checks: tuple[Check, ...]) -> Iterator[tuple[Check, bytes]]:
    """Each check with its answers over the union of ``data``'s graphs.

    The checks run on one thread per core (see ``Check.answers``).
    """
    with ThreadPoolExecutor(os.cpu_count()) as pool:
        yield from zip(checks, pool.map(lambda check: check.answers(data), checks), strict=True)


def validate(data: Store, checks: tuple[Check, ...]) -> Iterator[Finding]:
    """Every problem the checks find in the union of ``data``'s graphs."""
    for check, answers in answered(data, checks):
        yield from check.findings(answers)

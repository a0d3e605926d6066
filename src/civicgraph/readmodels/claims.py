"""Claims and their evidence, one row per statement and source, for auditing the graph.

Every relation, date and amount in the graph is backed by an ``rdf:Statement``; a
claim is one such statement read together with one document it cites. Listing them
all (``civicgraph claims``) or those of one document (its entity page) lets a reader
check the graph against its sources line by line. A statement counts as evidence by
the same rule as ``readmodels/evidence.py`` and its confidence is read through the
same ``Confidence`` levels; labels follow the one label rule (``readmodels/labels``),
so a claim names things as their pages do. The audit needs what pages do not (labels
of all three parts, the statement's comment), hence its own named query.
"""

import csv
from collections.abc import Iterable, Mapping
from dataclasses import astuple, dataclass, fields
from typing import Final, TextIO

from pyoxigraph import Literal, NamedNode

from civicgraph.queries import named_query
from civicgraph.readmodels.evidence import Confidence
from civicgraph.readmodels.labels import best_label, claim_name, humanize, shown_value
from civicgraph.sparql.binding import bind_each
from civicgraph.spreadsheet import neutralise
from civicgraph.store import GraphStore
from civicgraph.store.results import SelectResult, Term, term_value
from civicgraph.vocab import is_statement


@dataclass(frozen=True)
class Claim:
    """One statement as supported by one source: what is claimed, where, how sure."""

    statement: str
    subject: str
    subject_label: str
    predicate: str
    predicate_label: str
    object: str
    object_label: str
    source: str
    source_label: str
    location: str
    confidence: str
    source_date: str
    comment: str


#: CSV header, in the order of the dataclass fields.
CLAIM_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Claim))


def _label(rows: list[Mapping[str, Term]], key: str, iri_key: str) -> str:
    """The best label for one column; IRIs without one get a readable stand-in."""
    found = best_label(r.get(key) for r in rows)
    value = term_value(rows[0].get(iri_key))
    if found:
        return found
    return humanize(value) if isinstance(rows[0].get(iri_key), NamedNode) else value


def _confidence(rows: list[Mapping[str, Term]]) -> str:
    """``high``, ``medium`` or ``low``: the best level the statement gives, else ``""``."""
    found = (Confidence.from_iri(term_value(r.get("confidence"))) for r in rows)
    levels = [level for level in found if level is not None]
    return max(levels).label if levels else ""


def _claim(rows: list[Mapping[str, Term]]) -> Claim:
    first = rows[0]
    return Claim(
        statement=term_value(first["statement"]),
        subject=term_value(first["subject"]),
        subject_label=_label(rows, "subjectLabel", "subject"),
        predicate=term_value(first["predicate"]),
        predicate_label=_label(rows, "predicateLabel", "predicate"),
        object=term_value(first["object"]),
        object_label=_label(rows, "objectLabel", "object"),
        source=term_value(first["source"]),
        source_label=_label(rows, "sourceLabel", "source"),
        location=term_value(first.get("location")),
        confidence=_confidence(rows),
        source_date=term_value(first.get("date")),
        comment=best_label(r.get("comment") for r in rows),
    )


def load_claims(store: GraphStore, source: str | None = None) -> list[Claim]:
    """Every claim with its evidence, or only those that ``source`` supports."""
    bindings = {"source": NamedNode(source)} if source else None
    result = store.query(named_query("claims"), bindings=bindings)
    assert isinstance(result, SelectResult)

    grouped: dict[tuple[str, str], list[Mapping[str, Term]]] = {}
    for row in result.dicts():
        key = (term_value(row["statement"]), term_value(row["source"]))
        grouped.setdefault(key, []).append(row)
    return [_claim(rows) for rows in grouped.values()]


def claim_names(store: GraphStore, iris: Iterable[str]) -> dict[str, str]:
    """The names of those ``iris`` that are statements with evidence, by IRI, in one
    query (none when no IRI is a statement's).

    A statement has no label of its own; a page or a result table that shows one names
    it by what it claims, where its slug spoke to no one. Its own query reads each
    part's labels apart: the audit's, which reads every optional value at once, gave
    a statement with many labels and comments their product in rows.
    """
    wanted = [NamedNode(iri) for iri in sorted(set(iris)) if is_statement(iri)]
    if not wanted:
        return {}
    result = store.query(bind_each(named_query("statement_names"), "statement", wanted))
    assert isinstance(result, SelectResult)
    parts: dict[str, dict[str, list[Mapping[str, Term]]]] = {}
    for row in result.dicts():
        by_part = parts.setdefault(term_value(row["statement"]), {})
        by_part.setdefault(term_value(row["part"]), []).append(row)
    return {
        statement: claim_name(*(_part(found[p]) for p in _PARTS))
        for statement, found in parts.items()
        if all(p in found for p in _PARTS)
    }


#: A statement's parts, in the order its name gives them.
_PARTS: Final = ("subject", "predicate", "object")


def _part(rows: list[Mapping[str, Term]]) -> str:
    """One part named as pages show it: the label of its first term (a statement has one
    of each), or the value of a literal (its object, a date or an amount)."""
    first = min(term_value(r["term"]) for r in rows)
    term = next(r["term"] for r in rows if term_value(r["term"]) == first)
    if isinstance(term, Literal):
        return shown_value(term)
    return _label([r for r in rows if r["term"] == term], "label", "term")


def write_claims_csv(claims: Iterable[Claim], stream: TextIO) -> int:
    """Write the claims as CSV with a header row; return how many were written.

    The file is an audit sheet people open in a spreadsheet, so a cell that would run
    as a formula is neutralised (``spreadsheet.neutralise``).
    """
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(CLAIM_COLUMNS)
    count = 0
    for claim in claims:
        writer.writerow([neutralise(str(value)) for value in astuple(claim)])
        count += 1
    return count

"""Seeded data outside the civicgraph ontology, as another project's generator makes it.

The load targets are measured on ``generate.py``'s civic graph, whose shapes find
hundreds of thousands of problems to report. A researcher's own file is often in
other vocabularies: FOAF people who know one another, Dublin Core descriptions, and
blank nodes (an address per person, a list of interests), which the version log
names canonically. This file is such data, so that the report shows what a load of
it costs beside ``oxigraph load``; and its own questions (``foreign_mix``), none of
them the civic mix's, show what serving it costs beside ``oxigraph serve``, so that
the mix's ratio is not one of texts and shapes the server was tuned on alone.
"""

import random
from pathlib import Path
from typing import Final

from bench.mix import Query

EX: Final = "http://example.org/"
FOAF: Final = "http://xmlns.com/foaf/0.1/"
RDF: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD: Final = "http://www.w3.org/2001/XMLSchema#"
NAMES: Final = ("Ann", "Bob", "Cem", "Dai", "Eva", "Fay", "Gus", "Hui")


def _person(number: int, people: int, draw: random.Random) -> list[str]:
    """One person's triples, every fifth with an address and a list of two interests."""
    who = f"<{EX}person/{number}>"
    rows = [
        f"{who} <{RDF}type> <{FOAF}Person> .",
        f'{who} <{FOAF}name> "{draw.choice(NAMES)} {number}" .',
        f'{who} <{FOAF}age> "{draw.randint(18, 90)}"^^<{XSD}integer> .',
        f"{who} <{FOAF}mbox> <mailto:p{number}@example.org> .",
        f'{who} <http://purl.org/dc/terms/description> "Person {number}, {draw.random()}"@en .',
    ]
    rows += [
        f"{who} <{FOAF}knows> <{EX}person/{draw.randrange(people)}> ."
        for _ in range(draw.randint(1, 6))
    ]
    if number % 5 == 0:
        address, first, rest = f"_:a{number}", f"_:l{number}", f"_:m{number}"
        rows += [
            f"{who} <{EX}address> {address} .",
            f'{address} <{EX}city> "City {draw.randrange(500)}" .',
            f"{who} <{EX}interests> {first} .",
            f"{first} <{RDF}first> <{EX}topic/{draw.randrange(50)}> .",
            f"{first} <{RDF}rest> {rest} .",
            f"{rest} <{RDF}first> <{EX}topic/{draw.randrange(50)}> .",
            f"{rest} <{RDF}rest> <{RDF}nil> .",
        ]
    return rows


def generate_foreign(triples: int, path: Path, seed: int = 7) -> int:
    """Write about ``triples`` triples to ``path``; returns how many lines were written."""
    draw, written, number = random.Random(seed), 0, 0
    people = max(triples // 10, 1)
    with path.open("w", encoding="utf-8", buffering=1 << 20) as out:
        while written < triples:
            rows = _person(number, people, draw)
            out.write("\n".join(rows) + "\n")
            written, number = written + len(rows), number + 1
    return written


def foreign_mix() -> tuple[Query, ...]:
    """Twelve questions about this data: lookups by a person, a mailbox and a
    neighbour, ASK, counts, a filter on numbers and text, OPTIONAL, paths, a scan of
    the descriptions, CONSTRUCT, and an answer in SPARQL XML. The people named exist
    at every size the benchmark runs (10k triples have about 1,000)."""
    person, city = f"<{EX}person/77>", f"<{EX}address>/<{EX}city>"
    return (
        Query("f_name", "a person's name", f"SELECT ?n WHERE {{ {person} foaf:name ?n }}"),
        Query(
            "f_mailbox",
            "who has a mailbox, with the name",
            "SELECT ?p ?n WHERE { ?p foaf:mbox <mailto:p123@example.org> ; foaf:name ?n }",
        ),
        Query(
            "f_known",
            "the people a person knows, named",
            f"SELECT ?f ?n WHERE {{ <{EX}person/5> foaf:knows ?f . ?f foaf:name ?n }}",
        ),
        Query(
            "f_two_steps",
            "people two steps away (first 100)",
            f"SELECT DISTINCT ?g WHERE {{ <{EX}person/9> foaf:knows/foaf:knows ?g }} LIMIT 100",
        ),
        Query("f_ask", "does a person know anyone?", f"ASK {{ <{EX}person/3> foaf:knows ?x }}"),
        Query(
            "f_ages",
            "people per age",
            "SELECT ?a (COUNT(*) AS ?c) WHERE { ?p foaf:age ?a } GROUP BY ?a ORDER BY ?a",
        ),
        Query(
            "f_cities",
            "the ten cities with most people (through a blank node)",
            f"SELECT ?c (COUNT(?p) AS ?n) WHERE {{ ?p {city} ?c }} "
            "GROUP BY ?c ORDER BY DESC(?n) LIMIT 10",
        ),
        Query(
            "f_filtered",
            "people over 85 whose name starts with Ann (first 50)",
            "SELECT ?p ?n WHERE { ?p foaf:age ?a ; foaf:name ?n "
            'FILTER(?a > 85 && STRSTARTS(?n, "Ann")) } LIMIT 50',
        ),
        Query(
            "f_optional",
            "people with their city where known (first 200)",
            f"SELECT ?p ?c WHERE {{ ?p a foaf:Person OPTIONAL {{ ?p {city} ?c }} }} LIMIT 200",
        ),
        Query(
            "f_list",
            "interests read off RDF lists (first 100)",
            f"SELECT ?p ?t WHERE {{ ?p <{EX}interests>/rdf:rest*/rdf:first ?t }} LIMIT 100",
        ),
        Query(
            "f_construct",
            "CONSTRUCT the names of who knows a person, in Turtle",
            f"CONSTRUCT {{ ?p foaf:name ?n }} WHERE {{ ?p foaf:knows <{EX}person/11> ; "
            "foaf:name ?n }",
            graph=True,
        ),
        Query(
            "f_text_xml",
            "a description containing a phrase, in SPARQL XML",
            'SELECT ?p WHERE { ?p dcterms:description ?d FILTER(CONTAINS(?d, "Person 242,")) }',
            xml=True,
        ),
    )

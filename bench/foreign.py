"""Seeded data outside the civicgraph ontology, as another project's generator makes it.

The load targets are measured on ``generate.py``'s civic graph, whose shapes find
hundreds of thousands of problems to report. A researcher's own file is often in
other vocabularies: FOAF people who know one another, Dublin Core descriptions, and
blank nodes (an address per person, a list of interests), which the version log
names canonically. This file is such data, so that the report shows what a load of
it costs beside ``oxigraph load``.
"""

import random
from pathlib import Path
from typing import Final

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

"""A seeded synthetic civic graph in the civicgraph ontology, written as N-Triples.

The shape follows the bundled data: typed, labelled people, organizations,
initiatives, goals, events and documents; n-ary memberships with roles and dates;
and for every entity-to-entity triple an ``rdf:Statement`` naming its source
document, location, confidence and date. Targets are drawn from a Zipf-like
distribution, so a few organizations and people are hubs and most have a handful of
links, as in real civic networks. The same seed always writes the same file.
"""

import bisect
import itertools
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TextIO

from civicgraph.vocab import entity_iri

CIV: Final = "https://w3id.org/civicgraph/ontology#"
RDF: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS: Final = "http://www.w3.org/2000/01/rdf-schema#"
SDO: Final = "https://schema.org/"
PROV: Final = "http://www.w3.org/ns/prov#"
DCTERMS: Final = "http://purl.org/dc/terms/"
XSD_DATE: Final = "http://www.w3.org/2001/XMLSchema#date"
GOALS: Final = 40
#: Triples one person contributes on average, with everything hanging off them;
#: measured on the generator's own output, used to size the entity counts.
TRIPLES_PER_PERSON: Final = 40
WORDS: Final = [
    "digital",
    "open",
    "civic",
    "data",
    "service",
    "public",
    "city",
    "county",
    "state",
    "health",
    "benefits",
    "transit",
    "housing",
    "permit",
    "budget",
    "procurement",
    "identity",
    "records",
    "voting",
    "tax",
    "justice",
    "water",
    "energy",
    "climate",
    "education",
    "library",
    "parks",
    "safety",
    "mobility",
    "broadband",
    "access",
    "privacy",
    "design",
]
ROLES: Final = ("member", "director", "engineer", "designer", "advisor", "fellow", "chair")
CONFIDENCE: Final = ("HighConfidence", "MediumConfidence", "LowConfidence")


def iri(kind: str, number: int) -> str:
    """The IRI of the n-th entity of a kind, as the benchmark's queries name it."""
    return entity_iri(kind, f"{kind}-{number}")


@dataclass(frozen=True)
class Sizes:
    """How many entities of each kind a graph of ``triples`` triples holds."""

    people: int
    orgs: int
    initiatives: int
    events: int
    documents: int

    @classmethod
    def for_triples(cls, triples: int) -> "Sizes":
        """Entity counts in fixed proportions, scaled to the wanted size."""
        people = max(20, triples // TRIPLES_PER_PERSON)
        return cls(people, max(5, people // 8), max(5, people // 4), people // 6, people // 5)


class Skewed:
    """Draws entity numbers with probability falling as 1/rank: a few hubs, a long tail."""

    def __init__(self, count: int, rng: random.Random, exponent: float = 1.1) -> None:
        weights = (1 / (rank + 1) ** exponent for rank in range(count))
        self._cumulative = list(itertools.accumulate(weights))
        self._rng = rng

    def draw(self) -> int:
        """One entity number; 0 is the biggest hub."""
        point = self._rng.random() * self._cumulative[-1]
        return bisect.bisect_left(self._cumulative, point)


class Writer:
    """Writes N-Triples lines and counts them."""

    def __init__(self, out: TextIO) -> None:
        self.out, self.count, self._statements = out, 0, 0

    def triple(self, s: str, p: str, o: str) -> None:
        """An IRI-valued triple."""
        self.out.write(f"<{s}> <{p}> <{o}> .\n")
        self.count += 1

    def literal(self, s: str, p: str, value: str, suffix: str = "") -> None:
        """A literal-valued triple; ``suffix`` is ``@en`` or ``^^<datatype>``."""
        self.out.write(f'<{s}> <{p}> "{value}"{suffix} .\n')
        self.count += 1

    def evidenced(self, s: str, p: str, o: str, source: str, rng: random.Random) -> None:
        """An entity-to-entity triple and the statement that backs it."""
        self.triple(s, p, o)
        self._statements += 1
        stmt = iri("statement", self._statements)
        self.triple(stmt, RDF + "type", RDF + "Statement")
        self.triple(stmt, RDF + "subject", s)
        self.triple(stmt, RDF + "predicate", p)
        self.triple(stmt, RDF + "object", o)
        self.triple(stmt, PROV + "wasDerivedFrom", source)
        self.literal(stmt, CIV + "sourceLocation", f"paragraph {rng.randint(1, 40)}")
        self.triple(stmt, CIV + "confidence", CIV + rng.choice(CONFIDENCE))
        self.literal(stmt, DCTERMS + "date", _date(rng), f"^^<{XSD_DATE}>")


def _date(rng: random.Random, first: int = 2008, last: int = 2024) -> str:
    return f"{rng.randint(first, last)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _title(rng: random.Random, number: int, words: int = 3) -> str:
    return " ".join(rng.choice(WORDS).title() for _ in range(words)) + f" {number}"


def person_label(number: int) -> str:
    """The label of person n, so the label-lookup query can name one."""
    return f"Person {number} Example"


class Generator:
    """Writes one synthetic graph; entity numbers start at 0 for the biggest hub."""

    def __init__(self, sizes: Sizes, out: Writer, seed: int) -> None:
        self.sizes, self.w, self.rng = sizes, out, random.Random(seed)
        self.org = Skewed(sizes.orgs, self.rng)
        self.person = Skewed(sizes.people, self.rng)
        self.initiative = Skewed(sizes.initiatives, self.rng)
        self.document = Skewed(max(1, sizes.documents), self.rng, exponent=0.8)
        self._memberships = 0

    def source(self) -> str:
        """A source document for one statement."""
        return iri("document", self.document.draw())

    def run(self) -> None:
        """Write every kind of entity in turn."""
        for step in (self.goals, self.documents, self.orgs, self.people, self.initiatives):
            step()
        self.events()

    def entity(self, kind: str, cls: str, number: int, label: str) -> str:
        """Type and label an entity; a third of them get a description too."""
        subject = iri(kind, number)
        self.w.triple(subject, RDF + "type", CIV + cls)
        self.w.literal(subject, RDFS + "label", label, "@en")
        if number % 3 == 0:
            words = " ".join(self.rng.choice(WORDS) for _ in range(12))
            self.w.literal(subject, SDO + "description", f"A {words}.", "@en")
        return subject

    def goals(self) -> None:
        """A small fixed set of goals every initiative draws from."""
        for n in range(GOALS):
            self.entity("goal", "Goal", n, f"Goal {n}: {_title(self.rng, n, 2)}")

    def documents(self) -> None:
        """Source documents with a publication date."""
        for n in range(self.sizes.documents):
            subject = self.entity("document", "Document", n, f"Report {_title(self.rng, n)}")
            self.w.literal(subject, CIV + "datePublished", _date(self.rng), f"^^<{XSD_DATE}>")

    def orgs(self) -> None:
        """Organizations, each but the first few a part of a bigger one."""
        for n in range(self.sizes.orgs):
            subject = self.entity("org", "Organization", n, f"{_title(self.rng, n)} Office")
            if n >= 5:
                parent = iri("org", self.rng.randrange(n // 2))
                self.w.evidenced(
                    subject, CIV + "subOrganizationOf", parent, self.source(), self.rng
                )

    def people(self) -> None:
        """People with one to four memberships in skewed organizations."""
        for n in range(self.sizes.people):
            subject = self.entity("person", "Person", n, person_label(n))
            for _ in range(1 + min(3, int(self.rng.expovariate(1.2)))):
                self.membership(subject, iri("org", self.org.draw()))

    def membership(self, person: str, org: str) -> None:
        """A ``civ:Membership`` with role and dates, plus the direct ``memberOf`` link."""
        self._memberships += 1
        node = iri("membership", self._memberships)
        self.w.triple(node, RDF + "type", CIV + "Membership")
        self.w.triple(node, CIV + "member", person)
        self.w.triple(node, CIV + "organization", org)
        self.w.literal(node, CIV + "role", self.rng.choice(ROLES))
        self.w.literal(node, CIV + "startDate", _date(self.rng, 2000, 2020), f"^^<{XSD_DATE}>")
        if self.rng.random() < 0.5:
            self.w.literal(node, CIV + "endDate", _date(self.rng, 2020, 2024), f"^^<{XSD_DATE}>")
        self.w.evidenced(person, CIV + "memberOf", org, self.source(), self.rng)

    def initiatives(self) -> None:
        """Initiatives led by skewed organizations, addressing goals, building on others."""
        for n in range(self.sizes.initiatives):
            subject = self.entity("initiative", "Initiative", n, f"{_title(self.rng, n)} Project")
            self.w.literal(subject, CIV + "startDate", _date(self.rng), f"^^<{XSD_DATE}>")
            rel = self.w.evidenced
            rel(subject, CIV + "ledBy", iri("org", self.org.draw()), self.source(), self.rng)
            goal = iri("goal", self.rng.randrange(GOALS))
            rel(subject, CIV + "addresses", goal, self.source(), self.rng)
            rel(
                iri("person", self.person.draw()),
                CIV + "participatesIn",
                subject,
                self.source(),
                self.rng,
            )
            if n > 0:
                earlier = iri("initiative", self.rng.randrange(n))
                rel(subject, CIV + "buildsOn", earlier, self.source(), self.rng)

    def events(self) -> None:
        """Events organized by skewed organizations, attended by skewed people."""
        for n in range(self.sizes.events):
            subject = self.entity("event", "Event", n, f"{_title(self.rng, n, 2)} Summit")
            self.w.literal(subject, CIV + "startDate", _date(self.rng), f"^^<{XSD_DATE}>")
            rel = self.w.evidenced
            rel(subject, CIV + "organizer", iri("org", self.org.draw()), self.source(), self.rng)
            for _ in range(2):
                attendee = iri("person", self.person.draw())
                rel(attendee, CIV + "attended", subject, self.source(), self.rng)


def generate(triples: int, path: Path, seed: int = 7) -> tuple[int, Sizes]:
    """Write a graph of about ``triples`` triples to ``path``; returns the exact count."""
    sizes = Sizes.for_triples(triples)
    with path.open("w", encoding="utf-8", buffering=1 << 20) as out:
        writer = Writer(out)
        Generator(sizes, writer, seed).run()
    return writer.count, sizes

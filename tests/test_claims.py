"""Claims for auditing: ``civicgraph claims`` (CSV) and the claims a source page lists.

Run over the bundled data, so the checks are the corrections themselves: every claim
names its source, and no goal link is left for the efforts the roundup never matches
to a goal.
"""

import csv
import io
from pathlib import Path

from click.testing import CliRunner
from flask.testing import FlaskClient
from pyoxigraph import NamedNode
from rdflib import RDF, Graph, Namespace

from civicgraph.cli import main
from civicgraph.formats import by_name
from civicgraph.queries import named_query
from civicgraph.readmodels.claims import CLAIM_COLUMNS, claim_names
from civicgraph.sparql.binding import bind_each
from civicgraph.store import EmbeddedStore
from civicgraph.store.results import SelectResult

ROOT = Path(__file__).resolve().parent.parent
ID = "https://w3id.org/civicgraph/id/"
ROUNDUP = ID + "document/roundup-2019"
PROV = Namespace("http://www.w3.org/ns/prov#")
HTML = {"Accept": "text/html"}


def _bundled(runner: CliRunner) -> None:
    files = [str(ROOT / "ontology/civic.ttl"), *map(str, sorted(ROOT.glob("graph_data/*.ttl")))]
    result = runner.invoke(main, ["load", *files], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _expected_pairs(source: str | None = None) -> set[tuple[str, str]]:
    data = Graph()
    for path in ROOT.glob("graph_data/*.ttl"):
        data.parse(path)
    return {
        (str(st), str(src))
        for st in data.subjects(RDF.type, RDF.Statement)
        for src in data.objects(st, PROV.wasDerivedFrom)
        if source is None or str(src) == source
    }


def test_claims_csv_has_one_row_per_statement_and_source(runner: CliRunner) -> None:
    _bundled(runner)
    result = runner.invoke(main, ["claims"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == ",".join(CLAIM_COLUMNS)
    rows = _rows(result.output)
    assert {(r["statement"], r["source"]) for r in rows} == _expected_pairs()
    assert len(rows) == len(_expected_pairs())
    assert all(r["confidence"] in {"high", "medium", "low"} for r in rows)
    author = next(r for r in rows if r["statement"] == ID + "statement/roundup-author")
    assert (author["subject_label"], author["predicate_label"], author["object_label"]) == (
        "Roundup of California\u2019s Recent Public Technology Initiatives and Successes",
        "author",
        "Patrick Atwater",
    )
    assert (author["location"], author["source_date"]) == ("byline", "2019-03-22")


def test_claims_of_one_source_to_a_file(runner: CliRunner, tmp_path: Path) -> None:
    _bundled(runner)
    out = tmp_path / "roundup.csv"
    result = runner.invoke(main, ["claims", "--source", ROUNDUP, "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = _rows(out.read_text(encoding="utf-8"))
    assert {(r["statement"], r["source"]) for r in rows} == _expected_pairs(ROUNDUP)
    goal_links = {r["subject_label"] for r in rows if r["predicate_label"] == "addresses"}
    assert goal_links == {"Office of Digital Innovation (Government Operations Agency)"}
    assert not any("facts" in r["location"].lower() for r in rows)


def test_claims_of_an_unknown_source_is_a_clear_error(runner: CliRunner) -> None:
    _bundled(runner)
    result = runner.invoke(main, ["claims", "--source", "https://example.org/nothing"])
    assert result.exit_code == 1
    assert "No claim cites <https://example.org/nothing>" in result.output


def test_source_page_lists_the_claims_it_supports(client: FlaskClient) -> None:
    html = client.get("/id/document/roundup-2019", headers=HTML).get_data(as_text=True)
    assert "Claims this source supports" in html
    assert "paragraph beginning “The proposal for the Office of Digital Innovation”" in html
    assert html.count("<tr>") - html.count("<thead><tr>") >= len(_expected_pairs(ROUNDUP))


def test_a_person_page_lists_no_claims_section(client: FlaskClient) -> None:
    html = client.get("/id/person/patrick-atwater", headers=HTML).get_data(as_text=True)
    assert "Patrick Atwater" in html
    assert "Claims this source supports" not in html


#: One statement whose parts, source and own values each come many times over.
MANY = "\n".join(
    [
        "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix prov: <http://www.w3.org/ns/prov#> .",
        f"<{ID}statement/many> a rdf:Statement ; rdf:subject <{ID}org/a> ;",
        "  rdf:predicate <https://w3id.org/civicgraph/ontology#fundedBy> ;",
        '  rdf:object "25000"^^<http://www.w3.org/2001/XMLSchema#integer> ;',
        f"  prov:wasDerivedFrom <{ID}document/d> .",
        *(
            f'<{ID}{thing}> rdfs:label "{thing} {n:02}"@en . '
            f'<{ID}statement/many> rdfs:comment "{n}" .'
            for thing in ("org/a", "document/d")
            for n in range(14)
        ),
        *(
            f'<https://w3id.org/civicgraph/ontology#fundedBy> rdfs:label "funded by {n:02}"@en .'
            for n in range(14)
        ),
    ]
)


def test_a_statement_is_named_in_rows_that_add_up_not_multiply() -> None:
    store = EmbeddedStore()
    store.load(MANY.encode(), by_name("turtle"), "https://w3id.org/civicgraph/graph/many")
    statement = ID + "statement/many"
    query = bind_each(named_query("statement_names"), "statement", [NamedNode(statement)])
    result = store.query(query)
    assert isinstance(result, SelectResult)
    assert len(result.rows) == 14 + 14 + 1  # subject's labels, predicate's, the literal
    names = claim_names(store, [statement, ID + "person/not-a-statement"])
    assert names == {statement: "org/a 00 · funded by 00: 25,000"}

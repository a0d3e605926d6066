"""The benchmark's data outside the ontology: valid N-Triples, seeded, with blank nodes."""

from pathlib import Path

from pyoxigraph import BlankNode, RdfFormat, parse

from bench.foreign import generate_foreign


def test_the_data_parses_has_blank_nodes_and_is_the_same_for_a_seed(tmp_path: Path) -> None:
    first, second = tmp_path / "first.nt", tmp_path / "second.nt"
    written = generate_foreign(2_000, first)
    generate_foreign(2_000, second)
    triples = list(parse(path=str(first), format=RdfFormat.N_TRIPLES))
    assert len(triples) == written >= 2_000
    assert any(isinstance(t.subject, BlankNode) for t in triples)
    assert first.read_bytes() == second.read_bytes()

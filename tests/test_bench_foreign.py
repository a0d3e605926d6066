"""The benchmark's data outside the ontology: valid N-Triples, seeded, with blank nodes,
and a mix of questions each of which has an answer."""

from pathlib import Path

from pyoxigraph import BlankNode, NamedNode, QueryBoolean, RdfFormat, Store, parse

from bench.foreign import foreign_mix, generate_foreign
from bench.mix import with_prefixes


def test_the_data_parses_has_blank_nodes_and_is_the_same_for_a_seed(tmp_path: Path) -> None:
    first, second = tmp_path / "first.nt", tmp_path / "second.nt"
    written = generate_foreign(2_000, first)
    generate_foreign(2_000, second)
    triples = list(parse(path=str(first), format=RdfFormat.N_TRIPLES))
    assert len(triples) == written >= 2_000
    assert any(isinstance(t.subject, BlankNode) for t in triples)
    assert first.read_bytes() == second.read_bytes()


def test_each_question_of_its_mix_has_an_answer_at_the_smallest_size(tmp_path: Path) -> None:
    """A question that finds nothing would time only the engine's way to no answer."""
    data = tmp_path / "data.nt"
    generate_foreign(10_000, data)
    store = Store()
    store.bulk_load(path=str(data), format=RdfFormat.N_TRIPLES, to_graph=NamedNode("urn:x:g"))
    queries = foreign_mix()
    assert len(queries) == len({q.name for q in queries}) == 12
    for query in queries:
        answer = store.query(with_prefixes(query), use_default_graph_as_union=True)
        found = bool(answer) if isinstance(answer, QueryBoolean) else len(list(answer))
        assert found, query.name

"""Search: accent- and case-insensitive, ranked exact > prefix > word > substring."""

from pathlib import Path

import pytest

from civicgraph.dataset.loader import load_file
from civicgraph.readmodels.search import (
    MOST_SEARCH_CHARS,
    Searcher,
    SearchIndex,
    Tier,
    normalize,
)
from civicgraph.store import EmbeddedStore, GraphStore
from tests.conftest import load_workbench


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex.build(load_workbench(EmbeddedStore()))


def labels(index: SearchIndex, text: str) -> list[str]:
    return [hit.label for hit in index.search(text)]


def test_normalize_folds_case_and_accents() -> None:
    assert normalize("  José   NÚÑEZ ") == "jose nunez"


def test_accents_and_case_are_ignored(index: SearchIndex) -> None:
    assert labels(index, "JOSE nunez") == ["José Núñez"]


def test_prefix_ranks_above_word_above_description(index: SearchIndex) -> None:
    hits = index.search("code")
    assert [(h.label, h.tier) for h in hits] == [
        ("Code for Example", Tier.PREFIX),
        ("Example Code Works", Tier.WORD),
        ("Open Example", Tier.DESCRIPTION_WORD),
    ]


def test_exact_alt_label_ranks_first_and_says_what_matched(index: SearchIndex) -> None:
    (hit,) = index.search("cfe")
    assert (hit.label, hit.matched, hit.tier) == ("Code for Example", "CfE", Tier.EXACT)


def test_substring_inside_a_word_matches(index: SearchIndex) -> None:
    assert [(h.label, h.tier) for h in index.search("ovelac")] == [("Ada Lovelace", Tier.SUBSTRING)]


def test_every_word_in_any_order_matches_last(index: SearchIndex) -> None:
    hits = index.search("example code")
    assert [(h.label, h.tier) for h in hits] == [
        ("Example Code Works", Tier.PREFIX),
        ("Code for Example", Tier.ALL_WORDS),
    ]


def test_entities_without_names_are_not_offered(index: SearchIndex) -> None:
    assert labels(index, "nunez-at-cfe") == []


def test_empty_query_finds_nothing(index: SearchIndex) -> None:
    assert index.search("   ") == []


def test_limit_caps_results(index: SearchIndex) -> None:
    assert len(index.search("e", limit=2)) == 2


def test_a_long_text_is_read_to_its_first_characters(index: SearchIndex) -> None:
    """Every name is compared with the text: an entity named by 8,000 characters of
    ``a a a …`` in a URL took 4 s of CPU over 304 names."""
    long = "a " * 50_000
    assert index.find(long).query == long[:MOST_SEARCH_CHARS]
    assert [hit.iri for hit in index.search(long)] == [
        hit.iri for hit in index.search(long[:MOST_SEARCH_CHARS])
    ]


def test_searcher_rebuilds_when_the_dataset_version_changes(
    store: GraphStore, data_dir: Path
) -> None:
    searcher = Searcher(store)
    assert searcher.search("ada example") == []
    load_file(store, data_dir / "small.ttl")
    assert [h.label for h in searcher.search("ada example")] == ["Ada Example"]

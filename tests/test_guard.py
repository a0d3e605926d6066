"""The guard: SERVICE and LOAD refused from tokens; dataset clauses found; the pool."""

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from civicgraph.config import Settings
from civicgraph.errors import (
    ForbiddenOperationError,
    QueryTimeoutError,
    ResourceLimitError,
    ServerBusyError,
    StoreError,
)
from civicgraph.sparql.fetching import refuse_fetching
from civicgraph.sparql.lexer import (
    TokenKind,
    declares_dataset,
    has_dataset_clause,
    has_relative_iri,
    tokens,
)
from civicgraph.store import EmbeddedStore
from civicgraph.store.guarded import GuardedStore
from civicgraph.store.results import AskResult
from civicgraph.store.workers import QueryPool

ENDPOINT = "http://127.0.0.1:9/sparql"
#: A query that would count 10^10 rows: minutes of work on any store.
ENDLESS = (
    "SELECT (COUNT(*) AS ?n) { "
    + " ".join(f"VALUES ?v{k} {{ {' '.join(map(str, range(100)))} }}" for k in range(5))
    + " }"
)


@pytest.mark.parametrize(
    "query",
    [
        f"SELECT * {{ SERVICE <{ENDPOINT}> {{ ?s ?p ?o }} }}",
        f"select * {{ service silent <{ENDPOINT}> {{ ?s ?p ?o }} }}",
        "PREFIX r: <http://127.0.0.1:9/> SELECT * { SERVICE r:sparql { ?s ?p ?o } }",
        "SELECT * { SERVICE ?where { ?s ?p ?o } }",
        f"SELECT * {{ \\u0053ERVICE <{ENDPOINT}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ \\U00000073ervice <{ENDPOINT}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ \u017fervice <{ENDPOINT}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ ?s ?p 'x' # comment\n SERVICE <{ENDPOINT}> {{ }} }}",
        f"PREFIX ex: <http://e/> SELECT * {{ ?s ?p ex:a\\# . SERVICE <{ENDPOINT}> {{ }} }}",
        f"PREFIX ex: <http://e/> SELECT * {{ ?s ?p ex:a\\' . SERVICE <{ENDPOINT}> {{ }} }} #'",
        f"PREFIX ex: <{ENDPOINT}> SELECT * {{ SERVICEex:a {{ ?s ?p ?o }} }}",
        f"SELECT * {{ SERVICESILENT<{ENDPOINT}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ ?s ?p trueSERVICE <{ENDPOINT}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ ?s ?p '\\u0027 . SERVICE <{ENDPOINT}> {{ }} #' }}",
        f"SELECT * {{ ?s ?p ''' . SERVICE <{ENDPOINT}> {{ }} }}",
    ],
)
def test_service_is_refused(query: str) -> None:
    with pytest.raises(ForbiddenOperationError, match="SERVICE"):
        refuse_fetching(query)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * { ?s ?p 'SERVICE <http://x/> {}' }",
        'SELECT * { ?s ?p """a\nLOAD <http://x/>\n""" }',
        "SELECT * { ?s <http://example.org/SERVICE> ?o }",
        "SELECT ?service { ?service ?p ?o } # SERVICE <http://x/>",
        "PREFIX ex: <http://e/> SELECT * { ?s ex:SERVICE ex:LOAD }",
        "SELECT * { ?s ?p 'x'@service }",
        "PREFIX ex: <http://e/> SELECT * { ?s ?p ex:a\\#SERVICE }",
        "PREFIX ex: <http://e/> SELECT * { ?s ?p ex:a.SERVICE, ex:LOAD\\'s }",
        "PREFIX civ: <http://e/> SELECT * { ?s a civ:DigitalServiceTeam }",
        "SELECT * { ?s ?p '''it's a ''SERVICE'' <x>''' }",
        "SELECT * { ?s ?p _:service }",
    ],
)
def test_the_words_inside_strings_iris_names_and_comments_are_allowed(query: str) -> None:
    refuse_fetching(query)


@pytest.mark.parametrize(
    ("query", "declares"),
    [
        ("select * from <http://g> { ?s ?p ?o }", True),
        ("SELECT * \\u0046ROM <http://g> { ?s ?p ?o }", True),
        ("SELECT * { ?s <http://e/wasDerivedFrom> 'from' }", False),
        ("SELECT * { ?s ?p ?o }", False),
    ],
)
def test_a_query_declares_its_dataset_only_with_a_from_keyword(query: str, declares: bool) -> None:
    assert declares_dataset(query) is declares


@pytest.mark.parametrize(
    ("query", "relative"),
    [
        ("SELECT * { <http://e/s> ?p ?o }", False),
        ("PREFIX ex: <urn:x:> SELECT * { ex:s ?p '<a>' } # <b>", False),
        ("SELECT * { <s> ?p ?o }", True),
        ("SELECT * { <> ?p ?o }", True),
        ("PREFIX ex: <ns#> SELECT * { ex:s ?p ?o }", True),
        ("BASE <http://e/> SELECT * { <s> ?p ?o }", True),
        ("SELECT * { <\\u0073> ?p ?o }", True),
        # Every "<" starts an absolute IRI: none is relative, lexed or not.
        ("SELECT * { <http://e/s> ?p ?o } \\", False),
        ("SELECT * { <http://e/s> ?p ?o } \\ <s>", True),
        ("SELECT * { ?s ?p ?o FILTER(?o < 3) }", False),
        ("SELECT * { ?s ?p '\\u003Cs>' }", False),
        ("SELECT * { \\u003Cs> ?p ?o }", True),
        # IRI() and URI() read a relative string against the base.
        ("SELECT ?i { BIND(IRI('x') AS ?i) }", True),
        ("SELECT ?i { BIND(\\u0055RI('x') AS ?i) }", True),
        ("PREFIX e: <http://e/> SELECT ?i { BIND(1<e:m&&(2>1) AS ?c) BIND(iri('x') AS ?i) }", True),
    ],
)
def test_a_base_iri_is_needed_only_for_a_relative_iri(query: str, relative: bool) -> None:
    assert has_relative_iri(query) is relative


@pytest.mark.parametrize(
    "query",
    [
        "SELECT ?s { VALUES ?s { <a> <http://e/b> } }",
        "SELECT ?s { VALUES ?t { 'a' <http://e/b> } BIND(IF(isIRI(?t), ?t, IRI(?t)) AS ?s) }",
    ],
)
def test_a_relative_iri_still_resolves_against_the_base(tmp_path: Path, query: str) -> None:
    store = EmbeddedStore(tmp_path / "store")
    found = store.query(query, base_iri="http://example.org/sparql")
    assert [row[0].value for row in found.rows] == [  # type: ignore[union-attr,index]
        "http://example.org/a",
        "http://e/b",
    ]
    store.close()


@pytest.mark.parametrize(
    "update",
    [
        "load <http://127.0.0.1:9/data.ttl> INTO GRAPH <http://g>",
        "LOADSILENT<http://127.0.0.1:9/data.ttl>",
        "PREFIX ex: <http://127.0.0.1:9/> LOADex:data",
        "PREFIX ex: <http://e/> INSERT DATA { ex:s ex:p ex:a\\# } ; LOAD <http://127.0.0.1:9/>",
        "\\u004cOAD <http://127.0.0.1:9/data.ttl>",
    ],
)
def test_load_is_refused_in_updates(update: str) -> None:
    with pytest.raises(ForbiddenOperationError, match="LOAD"):
        refuse_fetching(update)


def test_tokens_keep_long_strings_whole() -> None:
    found = list(tokens("SELECT * { ?s ?p '''it's\n'quoted''' }"))
    assert [t.kind for t in found if t.kind is TokenKind.STRING] == [TokenKind.STRING]


def test_with_counts_as_a_dataset_clause_but_not_inside_strings() -> None:
    assert has_dataset_clause("WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }")
    assert not has_dataset_clause("INSERT DATA { <a> <b> 'WITH USING' }")


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[GuardedStore]:
    settings = Settings(store=str(tmp_path / "s"), query_timeout=1.0, query_workers=1)
    store = GuardedStore(EmbeddedStore(settings.store), settings)
    yield store
    store.close()


def test_an_endless_query_stops_at_the_limit(guarded: GuardedStore) -> None:
    with pytest.raises(QueryTimeoutError, match="1 s limit"):
        guarded.query(ENDLESS)


def test_a_worker_that_answered_before_is_stopped_at_the_limit_too(
    guarded: GuardedStore,
) -> None:
    guarded.query("ASK {}")  # the worker has its store open: no acknowledgement now
    with pytest.raises(QueryTimeoutError, match="1 s limit"):
        guarded.query_serialized(ENDLESS, None)


def test_the_pool_answers_again_after_a_timeout(guarded: GuardedStore) -> None:
    with pytest.raises(QueryTimeoutError):
        guarded.query(ENDLESS)
    assert guarded.query("ASK {}") == AskResult(True)


def test_workers_see_writes_made_through_the_store(guarded: GuardedStore) -> None:
    guarded.query("ASK {}")
    guarded.update("INSERT DATA { GRAPH <http://g> { <http://a> <http://b> <http://c> } }")
    assert guarded.query("ASK { <http://a> ?p ?o }") == AskResult(True)


@pytest.mark.heavy
def test_a_query_over_the_memory_budget_is_stopped_and_replaced(tmp_path: Path) -> None:
    EmbeddedStore(tmp_path / "s").close()
    pool = QueryPool(tmp_path / "s", size=1, timeout=60, memory_budget=128 * 1024 * 1024)
    thousand = " ".join(map(str, range(1000)))
    hungry = (
        "SELECT (STRLEN(GROUP_CONCAT(?x)) AS ?n) { "
        f"VALUES ?a {{ {thousand} }} VALUES ?b {{ {thousand} }} VALUES ?c {{ 1 2 3 4 5 6 7 8 }} "
        "BIND(CONCAT(STR(?a), '--------------------------------------------', STR(?b)) AS ?x) }"
    )
    try:
        with pytest.raises(ResourceLimitError, match="128 MiB"):
            pool.run("query", sparql=hungry)
        assert pool.run("query", sparql="ASK {}") == AskResult(True)
    finally:
        pool.close()


def _pool_children() -> int:
    """This process's query worker children."""
    found = 0
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            line = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        found += parent == os.getpid() and b"civicgraph.store.workers" in line
    return found


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[QueryPool]:
    """A pool of up to two children, queries up to 3 s, 1 s on the last free one."""
    EmbeddedStore(tmp_path / "s").close()
    pool = QueryPool(tmp_path / "s", size=2, timeout=3, memory_budget=2**29, short_limit=1)
    yield pool
    pool.close()


def test_a_pool_starts_a_child_only_when_a_request_finds_none_free(pair: QueryPool) -> None:
    assert _pool_children() == 0
    for _ in range(3):
        assert pair.run("query", sparql="ASK {}") == AskResult(True)
    assert _pool_children() == 1


def test_a_long_query_on_the_last_child_a_pool_may_start_is_kept_short(pair: QueryPool) -> None:
    """The first child is started for the first query and runs it to the full limit;
    the second, the last the pool may start, keeps its query to the short limit."""
    failures: list[Exception] = []

    def first() -> None:
        try:
            pair.run("query", sparql=ENDLESS)
        except QueryTimeoutError as exc:
            failures.append(exc)

    running = threading.Thread(target=first)
    running.start()
    deadline = time.monotonic() + 30
    while _pool_children() < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    with pytest.raises(ServerBusyError):
        pair.run("query", sparql=ENDLESS)
    running.join()
    assert [type(f) for f in failures] == [QueryTimeoutError]
    assert _pool_children() == 2


def test_a_write_whose_version_cannot_be_recorded_is_still_applied_and_said_so() -> None:
    """The writer may stop while it records the version after a write it applied; the
    client must not be told the write failed (a retry would apply it twice)."""

    def writer_gone(_action: str) -> None:
        raise StoreError("The writer process stopped during the write")

    store = GuardedStore(EmbeddedStore(), Settings(store="memory"), on_write=writer_gone)
    store.update("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    assert store.query("ASK { <urn:a> <urn:b> <urn:c> }") == AskResult(True)

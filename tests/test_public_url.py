"""The public address: citations and the dataset description carry it, not the address a
request came to (behind a reverse proxy, ``127.0.0.1:8000``)."""

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from civicgraph.config import Settings
from civicgraph.errors import UserInputError
from civicgraph.store import EmbeddedStore
from tests.conftest import client_over, load_workbench

PUBLIC = "https://graph.example.org"


@pytest.fixture(scope="module")
def public_client() -> Iterator[FlaskClient]:
    store = load_workbench(EmbeddedStore())
    yield client_over(store, public_url=PUBLIC + "/")
    store.close()


def test_a_citation_gives_the_public_address_whichever_address_was_cited(
    public_client: FlaskClient,
) -> None:
    for cited in ("/id/org/code-for-example", "http://localhost/id/org/code-for-example",
                  PUBLIC + "/id/org/code-for-example"):  # fmt: skip
        [item] = public_client.get("/cite", query_string={"url": cited, "format": "csl"}).json
        assert item["URL"].split("?")[0] == PUBLIC + "/id/org/code-for-example", cited


def test_another_host_is_still_refused(public_client: FlaskClient) -> None:
    answer = public_client.get("/cite", query_string={"url": "https://example.org/id/org/x"})
    assert answer.status_code == 400


def test_the_dataset_description_names_the_public_endpoint_and_dumps(
    public_client: FlaskClient,
) -> None:
    void = public_client.get("/.well-known/void").get_data(as_text=True)
    assert f"<{PUBLIC}/sparql>" in void
    assert f"<{PUBLIC}/export/download?format=turtle>" in void
    assert "localhost" not in void


@pytest.mark.parametrize(
    "wrong",
    [
        "graph.example.org",
        "ftp://graph.example.org",
        "https://graph.example.org/civic",
        "https://graph.example.org?",
        "https://graph.example.org#",
        "https://graph.example.org:abc",
        "https://user:secret@graph.example.org",
        "https://graph.example.org\n",
        "https://graph example.org",
        "http://[::1",
    ],
)
def test_an_address_that_is_not_an_origin_is_refused_with_the_reason(wrong: str) -> None:
    with pytest.raises(UserInputError, match="public_url"):
        Settings(public_url=wrong)


@pytest.mark.parametrize(
    "origin", ["https://graph.example.org", "HTTP://localhost:8000/", "http://[::1]:8000"]
)
def test_an_origin_is_taken(origin: str) -> None:
    assert Settings(public_url=origin).public_url == origin

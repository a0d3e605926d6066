"""Text from data or from a request is escaped wherever a page shows it."""

from flask import Flask
from flask.testing import FlaskClient

from tests.security.conftest import AUTH

PAYLOAD = "<script>alert('xss')</script><img src=x onerror=alert(1)>"
ENTITY = "https://w3id.org/civicgraph/id/person/xss-probe"
ESCAPED = "&lt;script&gt;"


def _plant(client: FlaskClient) -> None:
    label = PAYLOAD.replace("'", "\\'")
    turtle = (
        f"<{ENTITY}> a <https://w3id.org/civicgraph/ontology#Person> ;\n"
        f"  <http://www.w3.org/2000/01/rdf-schema#label> '{label}' ;\n"
        f"  <http://www.w3.org/2000/01/rdf-schema#comment> '\"onmouseover=alert(2) x=\"' ."
    )
    response = client.put(
        "/store?graph=http://example.org/hostile",
        data=turtle,
        headers={**AUTH, "Content-Type": "text/turtle"},
    )
    assert response.status_code in {201, 204}


def test_pages_never_carry_a_planted_label_unescaped(
    secure_app: Flask, secure_client: FlaskClient
) -> None:
    _plant(secure_client)
    paths = ["/id/person/xss-probe", "/search?q=xss"]
    paths += [r.rule for r in secure_app.url_map.iter_rules() if not r.arguments]
    raw = []
    for path in paths:
        with secure_client.get(path, headers={"Accept": "text/html"}) as response:
            if response.mimetype == "text/html" and PAYLOAD in response.get_data(as_text=True):
                raw.append(path)
    assert raw == []


def test_a_query_reflected_by_the_workbench_is_not_raw(secure_client: FlaskClient) -> None:
    response = secure_client.get(
        "/sparql",
        query_string={"query": f"SELECT {PAYLOAD}"},
        headers={"Accept": "text/html"},
        follow_redirects=True,
    )
    assert PAYLOAD not in response.get_data(as_text=True)


def test_input_reflected_in_an_error_page_is_escaped(secure_client: FlaskClient) -> None:
    response = secure_client.get(
        "/store", query_string={"graph": PAYLOAD}, headers={"Accept": "text/html"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<script>alert" not in page
    assert ESCAPED in page

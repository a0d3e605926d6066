"""Text from data or from a request is escaped wherever a page shows it."""

import html
import re
from urllib.parse import urlsplit

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


HOSTILE_LINKS = """
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix schema: <https://schema.org/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
<https://w3id.org/civicgraph/id/person/link-probe> a <javascript:alert(1)>, <JavaScript:alert(2)> ;
  rdfs:label "Link probe" ;
  <https://w3id.org/civicgraph/ontology#memberOf> <javascript:alert(3)> ;
  schema:sameAs <data:text/html,alert(4)> .
[] a rdf:Statement ; prov:wasDerivedFrom <javascript:alert(5)> .
<javascript:alert(5)> rdfs:label "Hostile source" ; schema:url "javascript:alert(6)" .
<https://w3id.org/civicgraph/ontology> a owl:Ontology ; dcterms:license <javascript:alert(7)> .
"""
_HREF = re.compile(r"""\bhref\s*=\s*["']([^"']*)["']""", re.IGNORECASE)


def _scheme(href: str) -> str:
    """The scheme a browser would see: it ignores leading spaces and tabs, newlines inside."""
    cleaned = html.unescape(href).lstrip(" \t\n\r\f\x00").replace("\t", "").replace("\n", "")
    return urlsplit(cleaned).scheme.lower()


def test_only_http_and_https_iris_become_links(
    secure_app: Flask, secure_client: FlaskClient
) -> None:
    turtle = "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n" + HOSTILE_LINKS
    response = secure_client.put(
        "/store?graph=http://example.org/hostile-links",
        data=turtle,
        headers={**AUTH, "Content-Type": "text/turtle"},
    )
    assert response.status_code in {201, 204}
    paths = ["/id/person/link-probe", "/", "/ontology", "/search?q=probe"]
    paths += [r.rule for r in secure_app.url_map.iter_rules() if not r.arguments]
    unsafe = {}
    for path in paths:
        with secure_client.get(path, headers={"Accept": "text/html"}) as page:
            if page.mimetype != "text/html":
                continue
            hrefs = _HREF.findall(page.get_data(as_text=True))
            bad = [h for h in hrefs if _scheme(h) not in ("", "http", "https") and h != "data:,"]
            if bad:
                unsafe[path] = bad
    assert unsafe == {}
    entity = secure_client.get("/id/person/link-probe", headers={"Accept": "text/html"})
    assert "javascript:alert(1)" in entity.get_data(as_text=True)  # shown, as text

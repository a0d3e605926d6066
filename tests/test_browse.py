"""Per-class lists with facets and pages, linked from the home and ontology pages."""

import requests

from tests.live import LiveServer

CIV = "https://w3id.org/civicgraph/ontology#"


def _json(server: LiveServer, path: str, **params: str) -> dict:  # type: ignore[type-arg]
    answer = requests.get(server.url + path, params=params, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_people_are_all_listed_with_their_total(live_server: LiveServer) -> None:
    body = _json(live_server, "/browse/Person.json")
    assert body["total"] == len(body["items"]) > 20
    labels = [item["label"] for item in body["items"]]
    assert labels == sorted(labels, key=str.casefold)
    assert "Luke Fretwell" in labels


def test_organization_facet_narrows_and_counts(live_server: LiveServer) -> None:
    body = _json(live_server, "/browse/Person.json")
    (top, *_) = body["facets"]["organization"]
    narrowed = _json(live_server, "/browse/Person.json", organization=top["value"])
    assert narrowed["total"] == top["count"]


def test_type_facet_holds_subclasses(live_server: LiveServer) -> None:
    body = _json(live_server, "/browse/Organization.json")
    types = {v["value"]: v for v in body["facets"]["type"]}
    assert CIV + "Nonprofit" in types
    narrowed = _json(live_server, "/browse/Organization.json", type=CIV + "Nonprofit")
    assert narrowed["total"] == types[CIV + "Nonprofit"]["count"] < body["total"]


def test_sources_come_a_page_at_a_time(live_server: LiveServer) -> None:
    first = _json(live_server, "/browse/Document.json", limit="10")
    assert first["pages"] > 1
    second = _json(live_server, "/browse/Document.json", limit="10", page="2")
    assert {i["iri"] for i in first["items"]}.isdisjoint(i["iri"] for i in second["items"])
    years = [v["value"] for v in first["facets"]["year"]]
    assert years == [*sorted(years[:-1], reverse=True), "undated"]  # latest first


def test_html_list_links_entities_and_pages(live_server: LiveServer) -> None:
    html = requests.get(f"{live_server.url}/browse/document?limit=10", timeout=30).text
    assert 'href="/id/document/' in html
    assert 'rel="next"' in html


def test_each_entry_says_its_kind_and_year_beside_its_name(live_server: LiveServer) -> None:
    """A list of 65 organizations or 111 documents gave names only: which was an agency,
    which a blog post, and from when, took opening each one."""
    html = requests.get(f"{live_server.url}/browse/Organization", timeout=30).text
    assert '18F</a> <span class="muted">Digital service team \u00b7 2014</span>' in html
    people = requests.get(f"{live_server.url}/browse/Person", timeout=30).text
    assert ">Aaron Snow</a></li>" in people  # the class listed is not said again
    documents = _json(live_server, "/browse/Document.json", limit="500")
    dated = [item for item in documents["items"] if item["years"]]
    assert 0 < len(dated) < len(documents["items"])
    assert all(year.isdigit() and len(year) == 4 for item in dated for year in item["years"])


def test_unknown_class_is_a_404_naming_the_classes(live_server: LiveServer) -> None:
    answer = requests.get(f"{live_server.url}/browse/Unicorn.json", timeout=30)
    assert answer.status_code == 404
    assert "Person" in answer.json()["detail"]


def test_home_and_ontology_link_to_the_lists(live_server: LiveServer) -> None:
    home = requests.get(live_server.url + "/", timeout=30).text
    assert 'href="/browse/Person"' in home
    assert 'href="/browse/Document"' in home
    ontology = requests.get(live_server.url + "/ontology", timeout=30).text
    assert 'href="/browse/Person"' in ontology


def test_an_empty_list_says_why_and_where_to_go(live_server: LiveServer) -> None:
    # Confidence levels are terms the ontology names, not entities of the data.
    levels = requests.get(f"{live_server.url}/browse/ConfidenceLevel", timeout=30).text
    assert "matches these filters" not in levels
    assert 'href="/ontology#ConfidenceLevel"' in levels
    narrowed = requests.get(f"{live_server.url}/browse/Person", params={"year": "1066"}, timeout=30)
    assert "No person matches these filters" in narrowed.text
    assert 'href="/browse/Person"' in narrowed.text
    home = requests.get(live_server.url, timeout=30).text
    assert "sources are cited" in home
    assert ">Every document</a>" in home


def test_the_home_page_counts_the_data_apart_from_the_servers_own_record(
    live_server: LiveServer,
) -> None:
    facts = requests.get(live_server.url + "/index.json", timeout=30).json()
    own = sum(g["triples"] for g in facts["graphs"] if g["iri"].endswith("/graph/meta"))
    assert own > 0
    page = requests.get(live_server.url + "/", timeout=30).text
    assert f"{facts['triples'] - own:,} triples (and {own:,} of the server's own record" in page


def test_the_home_page_lists_the_data_graphs_by_name_with_a_download(
    live_server: LiveServer,
) -> None:
    page = requests.get(live_server.url + "/", timeout=30).text
    graphs = page.split("<h2>Graphs</h2>", 1)[1].split("</ul>", 1)[0]
    roundup = "https://w3id.org/civicgraph/graph/roundup-2019"
    assert f'<span title="{roundup}">roundup-2019</span> · ' in graphs
    assert f"/export/download?format=turtle&amp;graph={roundup}" in graphs
    assert "/graph/meta" not in graphs  # the server's record of loads is counted apart
    assert "<code>" not in graphs


def test_browse_lists_every_class_with_its_count_and_a_json_twin(
    live_server: LiveServer,
) -> None:
    page = requests.get(live_server.url + "/browse", timeout=30).text
    twin = requests.get(live_server.url + "/browse.json", timeout=30).json()
    asked = requests.get(
        live_server.url + "/browse", headers={"Accept": "application/json"}, timeout=30
    ).json()
    assert asked == twin
    person = next(c for c in twin["classes"] if c["name"] == "Person")
    assert person["url"] == "/browse/Person"
    assert person["count"] > 0
    assert f'href="/browse/Person" title="All {person["count"]}: Person">Person</a>' in page
    assert 'href="/browse/Document">documents</a>' in page
    home = requests.get(live_server.url + "/", timeout=30).text
    assert '<a href="/browse">Browse</a>' in home  # in every page's header
    assert '<a href="/browse" aria-current="page">Browse</a>' in page  # and marked where it is
    assert "aria-current" not in home


def test_the_year_facet_reaches_the_undated_too(live_server: LiveServer) -> None:
    url = live_server.url + "/browse/Document.json"
    documents = requests.get(url, timeout=30).json()
    years = documents["facets"]["year"]
    assert sum(v["count"] for v in years) == documents["total"]  # one year or undated each
    assert years[-1]["value"] == "undated"
    undated = requests.get(url, params={"year": "undated"}, timeout=30).json()
    assert undated["total"] == years[-1]["count"]
    page = requests.get(live_server.url + "/browse/Document", timeout=30).text
    assert 'href="/browse/Document?year=undated">undated</a>' in page


def test_a_class_counts_what_its_list_holds_and_sits_under_its_super_class(
    live_server: LiveServer,
) -> None:
    classes = requests.get(live_server.url + "/browse.json", timeout=30).json()["classes"]
    by_name = {c["name"]: c for c in classes}
    for name in ("Initiative", "Organization", "Document", "GovernmentAgency"):
        listed = requests.get(f"{live_server.url}/browse/{name}.json", timeout=30).json()
        assert by_name[name]["count"] == listed["total"], name
    agency = by_name["GovernmentAgency"]
    assert agency["parent"] == CIV + "Organization"
    assert agency["depth"] == by_name["Organization"]["depth"] + 1
    order = [c["name"] for c in classes]
    assert order.index("Organization") < order.index("GovernmentAgency")
    page = requests.get(live_server.url + "/browse", timeout=30).text
    assert '<tr class="sub depth-2"><td><a href="/browse/GovernmentAgency"' in page


def test_choosing_a_year_keeps_the_other_years_in_sight(live_server: LiveServer) -> None:
    url = live_server.url + "/browse/Document.json"
    every = requests.get(url, timeout=30).json()["facets"]["year"]
    chosen = requests.get(url, params={"year": every[0]["value"]}, timeout=30).json()
    assert [(v["value"], v["count"]) for v in chosen["facets"]["year"]] == [
        (v["value"], v["count"]) for v in every
    ]
    assert chosen["total"] == every[0]["count"]

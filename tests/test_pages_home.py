"""The home page says what the graph holds and where to go next."""

from flask.testing import FlaskClient


def test_home_shows_counts_sources_version_and_ways_in(workbench_client: FlaskClient) -> None:
    html = workbench_client.get("/").get_data(as_text=True)
    assert '<a href="/browse/Nonprofit" title="All 2: Nonprofit">Nonprofit</a>' in html
    assert '(definition)</a></td><td class="num">2</td>' in html
    assert "Field notes on civic technology" in html
    assert "2019-03-22" in html
    for path in ('"/gallery"', '"/graph"', '"/ontology"', '"/export"', 'action="/search"'):
        assert path in html


def test_home_json_twin_has_sources_and_last_load(workbench_client: FlaskClient) -> None:
    body = workbench_client.get("/index.json").get_json()
    assert body["sources"][0]["label"] == "Field notes on civic technology"
    assert body["last_load"].startswith("20")
    assert {"label": "Nonprofit", "count": 2}.items() <= next(
        c for c in body["classes"] if c["name"] == "Nonprofit"
    ).items()

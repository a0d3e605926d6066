"""Every page shows hostile labels as text: in content, attributes and tooltips."""

import pytest
from flask.testing import FlaskClient

PAGES = [
    "/",
    "/id/person/hostile-label",
    "/id/org/code-for-example",
    "/search?q=alert",
    "/ontology",
    "/gallery/03-sources-behind-edges",
]


@pytest.mark.parametrize("path", PAGES)
def test_hostile_text_never_reaches_html_unescaped(
    workbench_client: FlaskClient, path: str
) -> None:
    response = workbench_client.get(path, headers={"Accept": "text/html"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for raw in ("<script>alert", "<img src=x", "<svg onload"):
        assert raw not in html


def test_hostile_label_is_shown_escaped(workbench_client: FlaskClient) -> None:
    html = workbench_client.get("/id/person/hostile-label").get_data(as_text=True)
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in html
    assert (
        'data-label="&lt;script&gt;alert(1)&lt;/script&gt;"' not in html
    )  # own page: no self link


def test_hostile_label_in_an_attribute_is_escaped(workbench_client: FlaskClient) -> None:
    html = workbench_client.get("/id/person/hostile-label").get_data(as_text=True)
    assert 'aria-label="Network of &lt;script&gt;alert(1)&lt;/script&gt;' in html


@pytest.mark.parametrize("path", ["/", "/query", "/gallery", "/id/org/code-for-example"])
def test_pages_have_no_inline_script(workbench_client: FlaskClient, path: str) -> None:
    html = workbench_client.get(path).get_data(as_text=True)
    assert "<script>" not in html
    assert " onload=" not in html
    assert " onclick=" not in html

"""Query results as pandas DataFrames, from civicgraph or any SPARQL 1.1 endpoint.

    >>> from civicgraph.client import select          # doctest: +SKIP
    >>> select("SELECT ?name WHERE { ?p a civ:Person ; rdfs:label ?name }")  # doctest: +SKIP

The query travels by the SPARQL 1.1 Protocol (§2.1.1, GET with ``query=``, POST when
long) and the answer is read as SPARQL JSON, so numbers, dates and booleans arrive as
numbers, dates and booleans rather than as the strings CSV would give. Prefixes the
project uses (``civ:``, ``rdfs:``, ``schema:`` …) are declared for you when the query
does not declare them itself. pandas is an optional extra: ``pip install
'civicgraph[client]'``.
"""

from datetime import date, datetime
from typing import Any, Final

import pandas
import requests

from civicgraph.vocab import PREFIXES

#: The endpoint ``make run`` serves.
DEFAULT_ENDPOINT: Final = "http://127.0.0.1:8000/sparql"
_XSD: Final = PREFIXES["xsd"]
_LONG_QUERY: Final = 2000


class ClientError(RuntimeError):
    """The endpoint refused the query or could not be reached; the message says why."""


def _with_prefixes(query: str) -> str:
    """Declare the project's prefixes the query uses but does not declare."""
    declared = query.upper()
    missing = [
        f"PREFIX {name}: <{iri}>"
        for name, iri in PREFIXES.items()
        if f"{name}:" in query and f"PREFIX {name.upper()}:" not in declared
    ]
    return "\n".join([*missing, query])


def _number(text: str, datatype: str) -> Any:
    if datatype in {_XSD + "integer", _XSD + "int", _XSD + "long", _XSD + "nonNegativeInteger"}:
        return int(text)
    return float(text)


def _value(binding: dict[str, str] | None) -> Any:
    """One cell: IRIs and strings as text, typed literals as Python values."""
    if binding is None:
        return None
    text, datatype = binding["value"], binding.get("datatype", "")
    local = datatype.removeprefix(_XSD)
    if local in {"integer", "int", "long", "nonNegativeInteger", "decimal", "double", "float"}:
        return _number(text, datatype)
    if local == "boolean":
        return text == "true"
    if local == "date":
        return date.fromisoformat(text)
    if local == "dateTime":
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    return text


def _answer(endpoint: str, query: str, timeout: float) -> dict[str, Any]:
    headers = {"Accept": "application/sparql-results+json"}
    try:
        if len(query) > _LONG_QUERY:
            response = requests.post(
                endpoint, data={"query": query}, headers=headers, timeout=timeout
            )
        else:
            response = requests.get(
                endpoint, params={"query": query}, headers=headers, timeout=timeout
            )
    except requests.RequestException as exc:
        raise ClientError(f"Cannot reach {endpoint}: {exc}") from exc
    if response.status_code >= 400:
        raise ClientError(f"{endpoint} answered {response.status_code}: {_detail(response)}")
    found: dict[str, Any] = response.json()
    return found


def _detail(response: requests.Response) -> str:
    """The error's own words: civicgraph's ``detail``, or the start of any other body."""
    try:
        return str(response.json()["detail"])
    except (ValueError, KeyError, TypeError):
        return response.text.strip()[:500]


def select(query: str, endpoint: str = DEFAULT_ENDPOINT, timeout: float = 60) -> pandas.DataFrame:
    """Run a SELECT query and return its rows as a DataFrame, one column per variable."""
    answer = _answer(endpoint, _with_prefixes(query), timeout)
    if "boolean" in answer:
        raise ClientError("That is an ASK query; select() reads SELECT results")
    columns = answer["head"]["vars"]
    rows = [[_value(row.get(name)) for name in columns] for row in answer["results"]["bindings"]]
    return pandas.DataFrame(rows, columns=columns)

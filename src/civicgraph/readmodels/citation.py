"""Citations of what a researcher saw: a page or result, the dataset version, its date.

One ``Citation`` is written four ways: BibTeX (``@misc``, as BibLaTeX and natbib styles
expect for datasets without a DOI), CSL-JSON (type ``dataset``, for Zotero and
citeproc), RIS (type ``DATA``, for EndNote and Mendeley) and a formatted line for
pasting. Every string that goes into BibTeX is escaped, so a label with braces or
percent signs cannot break the entry.
"""

import json
import re
from dataclasses import dataclass

AUTHOR = "civicgraph contributors"
PUBLISHER = "civicgraph"
#: Characters with a meaning in BibTeX, and what stands for each inside a field.
_BIBTEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "$": r"\$",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
}
_BIBTEX_SPECIAL = re.compile("[" + re.escape("".join(_BIBTEX_ESCAPES)) + "]")


@dataclass(frozen=True)
class Citation:
    """What to cite: a title, its permalink, and the dataset version it shows."""

    title: str
    url: str
    version: str
    date: str
    accessed: str

    @property
    def year(self) -> str:
        """The year of the dataset version, which dates the citation."""
        return self.date[:4]

    @property
    def key(self) -> str:
        """A BibTeX key that is stable for the same title and version."""
        words = re.findall(r"[a-z0-9]+", self.title.lower())[:3]
        return "-".join(["civicgraph", *words, self.version.replace(" ", "")])[:60]


def _bibtex_text(value: str) -> str:
    return _BIBTEX_SPECIAL.sub(lambda m: _BIBTEX_ESCAPES[m.group(0)], value)


def _bibtex_url(value: str) -> str:
    """URLs keep their characters (the ``url`` field is verbatim) but not braces or ``%``."""
    return value.replace("{", "%7B").replace("}", "%7D").replace("%", r"\%")


def bibtex(c: Citation) -> str:
    """A BibTeX ``@misc`` entry."""
    fields = {
        "author": f"{{{_bibtex_text(AUTHOR)}}}",
        "title": f"{{{_bibtex_text(c.title)}}}",
        "howpublished": f"{{{_bibtex_text(PUBLISHER)} dataset, {_bibtex_text(c.version)}}}",
        "year": c.year,
        "date": c.date,
        "url": _bibtex_url(c.url),
        "urldate": c.accessed,
        "note": f"{{Dataset {_bibtex_text(c.version)} of {c.date}}}",
    }
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields.items())
    return f"@misc{{{c.key},\n{body}\n}}\n"


def _date_parts(value: str) -> dict[str, list[list[int]]]:
    return {"date-parts": [[int(p) for p in value.split("-")]]}


def csl_json(c: Citation) -> list[dict[str, object]]:
    """A CSL-JSON item list (CSL data schema), one item of type ``dataset``."""
    return [
        {
            "id": c.key,
            "type": "dataset",
            "title": c.title,
            "author": [{"literal": AUTHOR}],
            "publisher": PUBLISHER,
            "version": c.version,
            "issued": _date_parts(c.date),
            "accessed": _date_parts(c.accessed),
            "URL": c.url,
        }
    ]


def ris(c: Citation) -> str:
    """A RIS record of type ``DATA``."""
    lines = [
        ("TY", "DATA"),
        ("AU", AUTHOR),
        ("TI", c.title),
        ("PB", PUBLISHER),
        ("ET", c.version),
        ("PY", c.year),
        ("DA", c.date.replace("-", "/")),
        ("UR", c.url),
        ("Y2", c.accessed.replace("-", "/")),
        ("ER", ""),
    ]
    return "".join(f"{tag}  - {' '.join(value.split())}\n" for tag, value in lines)


def text(c: Citation) -> str:
    """A formatted line, author-date style."""
    return (
        f"{AUTHOR} ({c.year}). {c.title}. {PUBLISHER} dataset, {c.version} ({c.date}). "
        f"{c.url} (accessed {c.accessed})."
    )


#: Every format ``/cite`` answers: name → (media type, writer).
FORMATS = {
    "bibtex": ("application/x-bibtex", bibtex),
    "csl": ("application/vnd.citationstyles.csl+json", lambda c: json.dumps(csl_json(c), indent=2)),
    "ris": ("application/x-research-info-systems", ris),
    "text": ("text/plain", text),
}

"""Table cells that a spreadsheet would run as formulas, made inert.

Spreadsheet programs treat a cell that begins with ``=``, ``+``, ``-`` or ``@`` as a
formula, and some strip a leading tab or carriage return before looking; a label
such as ``=HYPERLINK(…)`` or ``-2+3+cmd|…`` in a downloaded CSV then runs when the
file is opened. The defence the programs themselves honour is a leading ``'``: the
cell shows as text (OWASP, "CSV Injection").

The prefix changes the value, so it is for tables meant for people with a
spreadsheet. SPARQL CSV/TSV results are a data interchange format whose values
programs read exactly: they get the prefix only when the client asks for the
spreadsheet variant with the media type parameter ``profile=spreadsheet``.
"""

from civicgraph.formats import range_parameters

#: What a cell may not begin with in a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: The media type parameter that asks for the spreadsheet variant of CSV or TSV.
PROFILE = "spreadsheet"
#: The SPARQL result types that have a spreadsheet variant.
TABULAR = frozenset({"text/csv", "text/tab-separated-values"})


def neutralise(cell: str) -> str:
    """``cell`` with a leading ``'`` when a spreadsheet would read it as a formula."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def wants_spreadsheet(accept: str | None, media_type: str) -> bool:
    """Whether ``accept`` names ``media_type`` with ``profile=spreadsheet``.

    Only an explicit mention counts: ``*/*`` or a bare ``text/csv`` gets the exact
    W3C format.
    """
    return range_parameters(accept, media_type).get("profile") == PROFILE


def for_download(media_type: str) -> str:
    """What a download meant for people asks for: the spreadsheet variant when there is one."""
    return f"{media_type}; profile={PROFILE}" if media_type in TABULAR else media_type

"""The one mapping from node groups (top-level classes, communities) to colours.

Every view reads its colours from here through the JSON (`colour` on each node): the
explorer, entity pages, query results, the path view, the legend, the PNG and SVG
exports and the standalone HTML file. A class therefore has the same colour everywhere,
whatever else is on screen. The hues are the Tableau 10 palette, chosen to stay
distinguishable for the common colour-vision deficiencies.
"""

from typing import Final

from civicgraph.vocab import CIV

#: Colours for the classes nodes are grouped by (``projection.GROUPS``).
CLASS_COLOURS: Final[dict[str, str]] = {
    CIV.Person.value: "#4e79a7",
    CIV.Organization.value: "#f28e2b",
    CIV.Initiative.value: "#59a14f",
    CIV.Goal.value: "#b07aa1",
    CIV.Event.value: "#e15759",
    CIV.Document.value: "#9c755f",
    CIV.Place.value: "#76b7b2",
}
#: Colours for anything else, and for communities by number (0 is the largest).
PALETTE: Final = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
#: The colour of a group that fits none of the above.
OTHER: Final = "#8a94a3"
_COMMUNITY: Final = "community:"


def community_colour(number: int) -> str:
    """The colour of community ``number``; -1 (no community) is grey."""
    return PALETTE[number % len(PALETTE)] if number >= 0 else OTHER


def group_colour(group: str) -> str:
    """The colour of a node group: a class IRI or ``community:N`` (an aggregate node)."""
    if group.startswith(_COMMUNITY):
        number = group.removeprefix(_COMMUNITY)
        return community_colour(int(number)) if number.lstrip("-").isdigit() else OTHER
    return CLASS_COLOURS.get(group, OTHER)

"""The network as it stood on a date, and what changed between two dates.

What held on a day: an organization or initiative between its founding (or start) and
its dissolution (or end); an event on or before the day; a document or a dated figure
from its own date on; a membership or role within its start and end; and an edge only
when its evidence was dated on or before the day (a source written later did not yet
say it). A missing end date means "not known to have ended", so the entity stays. A
planned end (``civ:plannedEndDate``) is a plan, not an end. Whatever carries no date
at all is kept and reported as undated, so a reader can hide it.

Dates may be years, year-months or days: a start counts from the first day of its
period and an end until the last, so "founded 2014" is standing on 2014-01-01 and
"ended 2016" still stands on 2016-12-31.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Final

from civicgraph.errors import UserInputError
from civicgraph.network.model import EdgeInfo, NodeInfo
from civicgraph.vocab import CIV

_STARTS: Final = frozenset(
    p.value for p in (CIV.foundingDate, CIV.startDate, CIV.datePublished, CIV.asOfDate)
)
_ENDS: Final = frozenset(p.value for p in (CIV.dissolutionDate, CIV.endDate))
_EVENT: Final = CIV.Event.value
_DAY: Final = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
_LAST_DAY: Final = {"02": "29", "04": "30", "06": "30", "09": "30", "11": "30"}


def parse_day(text: str) -> str:
    """A day as ``YYYY-MM-DD`` from ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``."""
    value = text.strip()
    if not _DAY.fullmatch(value):
        raise UserInputError(f"Give a date as YYYY-MM-DD (or YYYY), not {text!r}")
    day = _first_day(value)
    try:
        date.fromisoformat(day)
    except ValueError as exc:  # 2015-13-45, 2015-02-30: the right shape, no such day
        raise UserInputError(f"There is no such day as {text.strip()!r}") from exc
    return day


def _first_day(value: str) -> str:
    return (value + "-01-01")[:10] if len(value) == 4 else (value + "-01")[:10]


def _last_day(value: str) -> str:
    if len(value) == 4:
        return value + "-12-31"
    if len(value) == 7:
        return f"{value}-{_LAST_DAY.get(value[5:7], '31')}"
    return value


def _dates(value: str) -> str | None:
    """The date part of a literal value (``2014-03-19T…`` → ``2014-03-19``), if any."""
    found = _DAY.match(value.strip())
    return found.group(0) if found else None


@dataclass(frozen=True)
class Span:
    """When something held: from ``start`` to ``end`` (days), either open."""

    start: str | None = None
    end: str | None = None

    @property
    def undated(self) -> bool:
        """True when neither end of the span is known."""
        return self.start is None and self.end is None

    def holds_on(self, day: str) -> bool:
        """Whether the span covers ``day``; an open end covers everything past it."""
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


def node_span(info: NodeInfo) -> Span:
    """From the earliest start-like date to the earliest end-like date (events never end)."""
    starts = [d for p, v in info.dates if p in _STARTS and (d := _dates(v))]
    ends = [d for p, v in info.dates if p in _ENDS and (d := _dates(v))]
    is_event = info.group == _EVENT or _EVENT in info.classes
    return Span(
        _first_day(min(starts)) if starts else None,
        None if is_event or not ends else _last_day(min(ends)),
    )


def edge_span(info: EdgeInfo) -> Span:
    """A membership's own dates; else from the earliest dated evidence on."""
    if info.start or info.end:
        start = _dates(info.start) if info.start else None
        end = _dates(info.end) if info.end else None
        return Span(_first_day(start) if start else None, _last_day(end) if end else None)
    dated = [d for e in info.evidence if (d := _dates(e.date))]
    return Span(_first_day(min(dated)) if dated else None, None)


def first_year(infos: Iterable[NodeInfo]) -> int:
    """The first year any of these entities dates from (-1 when none has a date)."""
    return min((int(v[:4]) for info in infos for _, v in info.dates if _dates(v)), default=-1)


def years(first: int, this_year: int) -> tuple[int, int]:
    """From ``first`` (a ``first_year``) to ``this_year``: a time slider's range."""
    return (this_year if first < 0 else min(first, this_year)), this_year

"""Answers about a query's text, remembered for the texts clients send again.

Clients send the same few queries over and over, and for a cheap query the checks
on its text (``SERVICE``/``LOAD``, a dataset clause) cost as much as evaluating it.
A check is a pure function of the text, so its answer can be kept; only short
texts are kept, so that what is remembered stays small whatever clients send.
"""

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Final, TypeVar

#: Texts up to this many characters have their answers kept.
SHORT_TEXT: Final = 8192
#: How many answers each check keeps.
KEPT: Final = 256

T = TypeVar("T")


def for_short_texts(check: Callable[[str], T]) -> Callable[[str], T]:
    """``check``, with its last ``KEPT`` answers for short texts kept."""
    return remembering(KEPT)(check)


def remembering(count: int) -> Callable[[Callable[[str], T]], Callable[[str], T]]:
    """A decorator keeping a function's last ``count`` answers for short texts: a few
    for a step that several checks of one text take in turn (its readings)."""

    def decorate(check: Callable[[str], T]) -> Callable[[str], T]:
        kept = lru_cache(maxsize=count)(check)

        @wraps(check)
        def answer(text: str) -> T:
            return kept(text) if len(text) <= SHORT_TEXT else check(text)

        return answer

    return decorate

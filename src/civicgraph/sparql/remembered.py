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
    """``check``, with its last answers for short texts kept."""
    kept = lru_cache(maxsize=KEPT)(check)

    @wraps(check)
    def answer(text: str) -> T:
        return kept(text) if len(text) <= SHORT_TEXT else check(text)

    return answer

"""How names are compared: case, accents and spacing never matter, and punctuation
parts words."""

import re
import unicodedata
from typing import Final


def normalize(text: str) -> str:
    """Fold case and strip accents and extra spaces, for comparison only."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


#: A word: two or more letters and digits, so punctuation parts words ("America's" is
#: "america", "(2019)" is "2019"): a piece spanning an apostrophe or a bracket is shared
#: by no query, and cost "amerika" its likeness to "America's". A letter alone (the
#: "s" of a possessive, "U.S.") says nothing of likeness, and a query of letters alone
#: would look like every name.
_WORD: Final = re.compile(r"[^\W_]{2,}")


def words(text: str) -> list[str]:
    """The words of an already normalized text, as names and queries are compared."""
    return _WORD.findall(text)

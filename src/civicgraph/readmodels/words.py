"""How names are compared: case, accents and spacing never matter."""

import unicodedata


def normalize(text: str) -> str:
    """Fold case and strip accents and extra spaces, for comparison only."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())

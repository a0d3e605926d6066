"""The page of a paged list that a request asks for: ``?page=``, counted from 1."""

from flask import request


def asked_page() -> int:
    """The ``page`` argument: 1 when it is absent, not a whole number, or below 1."""
    return max(request.args.get("page", 1, type=int) or 1, 1)

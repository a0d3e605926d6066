"""Who may write: nobody, unless an operator set a write token; then its bearers.

The token is compared with ``hmac.compare_digest`` so the time a comparison takes
says nothing about how much of a guess was right.
"""

import hmac

from flask import request

from civicgraph.errors import AuthenticationError, WritesDisabledError
from civicgraph.webapp.state import current_state


def require_writer() -> None:
    """Raise unless the request may write: 403 when writes are off, 401 without the token."""
    token = current_state().settings.write_token
    if not token:
        raise WritesDisabledError()
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise AuthenticationError(
            "This request writes; send the server's write token as 'Authorization: Bearer <token>'"
        )
    if not bears_token(header, token):
        raise AuthenticationError("The bearer token is not this server's write token")


def bears_token(authorization: str, token: str | None) -> bool:
    """Whether an ``Authorization`` header's value carries the write ``token`` (never,
    when writes are off)."""
    scheme, _, given = authorization.partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())

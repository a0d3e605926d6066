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
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise AuthenticationError(
            "This request writes; send the server's write token as 'Authorization: Bearer <token>'"
        )
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise AuthenticationError("The bearer token is not this server's write token")

"""Multipart bodies: the file parts of a whole body, and nothing from a cut one.

A ``multipart/form-data`` body ends with its close delimiter (RFC 2046 §5.1.1);
werkzeug's parser keeps the parts that ended before a cut and drops the rest
silently, so the delimiter is required before anything is parsed.
"""

import io
from dataclasses import dataclass
from typing import Final

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import parse_form_data
from werkzeug.http import parse_options_header

from civicgraph.errors import IncompleteBodyError, UserInputError

#: Most parts one body may hold: each document is parsed on its own, and a body of
#: 2,000 tiny parts took 106 s to write.
MAX_PARTS: Final = 1000


@dataclass(frozen=True)
class FilePart:
    """One file part of a ``multipart/form-data`` body."""

    content: bytes
    content_type: str | None
    filename: str


def _require_closing_delimiter(body: bytes, content_type: str) -> None:
    """A multipart body ends with ``--boundary--`` (RFC 2046 §5.1.1); without it, it was cut.

    werkzeug's parser would otherwise keep the parts that ended before the cut and
    drop the rest silently, so a cut upload could load in part.
    """
    boundary = parse_options_header(content_type)[1].get("boundary", "")
    if not boundary:
        raise UserInputError("A multipart body needs a boundary in its Content-Type")
    if f"--{boundary}--".encode("latin-1", "replace") not in body:
        raise IncompleteBodyError("multipart body", "its closing boundary never came")


def file_parts(body: bytes) -> list[FilePart]:
    """The file parts of a whole multipart body (read with ``read_body``), in order."""
    content_type = request.headers.get("Content-Type", "")
    _require_closing_delimiter(body, content_type)
    environ = {
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": content_type,
        "REQUEST_METHOD": "POST",
    }
    try:
        _, _, files = parse_form_data(environ, silent=False, max_form_parts=MAX_PARTS)
    except RequestEntityTooLarge as exc:
        raise UserInputError(
            f"The multipart body has more than {MAX_PARTS:,} parts; send the files in "
            "several uploads (POST adds to a graph)"
        ) from exc
    except ValueError as exc:
        raise UserInputError(f"The multipart body cannot be read: {exc}") from exc
    # Every value of every field: parts that share a field name (``curl -F file=@a
    # -F file=@b``) are all files to add, not the first of each name.
    parts = [part for _, part in files.items(multi=True)]
    try:
        return [FilePart(part.read(), part.content_type, part.filename or "") for part in parts]
    finally:
        for part in parts:
            part.close()  # werkzeug spools parts to temporary files

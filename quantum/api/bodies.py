# SPDX-License-Identifier: Apache-2.0
"""Reading request bodies, bounded, whether they come with a length or chunked."""

from __future__ import annotations

from webob import Request

from quantum.core import exceptions as exc


def read_body(request: Request, limit: int) -> bytes:
    """The raw body (empty when there is none); BodyTooLarge past ``limit`` bytes."""
    length = request.content_length
    if length is not None and length > limit:
        raise exc.BodyTooLarge(limit=limit)
    raw = read_at_most(request, limit + 1)
    if len(raw) > limit:
        raise exc.BodyTooLarge(limit=limit)
    return raw


def read_at_most(request: Request, size: int) -> bytes:
    """Up to ``size`` bytes of the body, with a length or chunked.

    A chunked body has no Content-Length. eventlet hands it over de-chunked but
    sets no ``wsgi.input_terminated``, so WebOb would read it as empty; the
    stream ends where the body does, so it is read as a terminated one.
    """
    if (
        request.content_length is None
        and "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    ):
        request.is_body_readable = True
    raw: bytes = request.body_file.read(size)
    return raw

# SPDX-License-Identifier: Apache-2.0
"""Logging: one format for every process, with the id of the request being served."""

from __future__ import annotations

import contextvars
import logging
import sys

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar(
    "request_id", default="-"
)

FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


def setup(*, debug: bool, verbose: bool, log_file: str | None) -> None:
    """Log to ``log_file`` or stderr: DEBUG if debug, INFO if verbose, else WARNING."""
    handler: logging.Handler = (
        logging.FileHandler(log_file) if log_file else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(
        logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    )
    # NOTE: the schema check at start-up would otherwise log alembic's plugin set-up.
    logging.getLogger("alembic").setLevel(logging.DEBUG if debug else logging.WARNING)

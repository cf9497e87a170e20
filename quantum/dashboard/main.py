# SPDX-License-Identifier: Apache-2.0
"""``quantum-dashboard``: serve the dashboard on a threaded stdlib WSGI server.

The dashboard only serves a few static files and forwards API calls, so the
standard library's ``wsgiref`` server, one thread per request, is all it needs.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from socketserver import ThreadingMixIn
from types import FrameType
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from quantum.dashboard.app import DashboardApp

PROG = "quantum-dashboard"


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """One access line per request on stderr, without the client's host lookup."""
        sys.stderr.write(f"{PROG}: {format % args}\n")


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Serve the web dashboard, talking to the network service's "
        "public v2.0 API.",
    )
    parser.add_argument(
        "--api-url",
        default="http://127.0.0.1:9696",
        help="the network service's URL (default: %(default)s)",
    )
    parser.add_argument(
        "--auth-url",
        help="Keystone's URL for a password login with a project choice; without it "
        "the page asks for a project only (the server's auth_strategy = noauth)",
    )
    parser.add_argument("--bind-host", default="127.0.0.1")
    parser.add_argument("--bind-port", type=int, default=9697)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    try:
        app = DashboardApp(args.api_url, auth_url=args.auth_url)
        server = make_server(
            args.bind_host,
            args.bind_port,
            app,
            server_class=ThreadingWSGIServer,
            handler_class=QuietHandler,
        )
    except (ValueError, OSError) as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    host, port = server.server_address[:2]
    print(
        f"{PROG}: serving http://{host!s}:{port} for {args.api_url}",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0

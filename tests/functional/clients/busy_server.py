# SPDX-License-Identifier: Apache-2.0
"""A stand-in API that answers 503 to its first ``busy`` network lists, run as its own
process (the test process may be monkey-patched by eventlet, where a server thread
would be a green thread that the client's blocking calls starve).

Prints its port, then serves: ``GET /v2.0/networks`` (503 or an empty list, its
time of arrival recorded), ``POST /control`` with ``{"busy": N}`` (forget what was
seen, answer 503 to the next N), ``GET /seen`` (the arrival times, CLOCK_MONOTONIC,
which is the same clock in every process of the machine)."""

from __future__ import annotations

import http.server
import json
import sys
import time


class Busy(http.server.BaseHTTPRequestHandler):
    busy = 0
    seen: list[float] = []

    def do_GET(self) -> None:  # noqa: N802  # NOTE: http.server's name
        if self.path == "/seen":
            self._answer(200, {"seen": Busy.seen})
            return
        Busy.seen.append(time.monotonic())
        if len(Busy.seen) <= Busy.busy:
            error = {"type": "Busy", "message": "later", "detail": ""}
            self._answer(503, {"NeutronError": error})
        else:
            self._answer(200, {"networks": []})

    def do_POST(self) -> None:  # noqa: N802  # NOTE: http.server's name
        length = int(self.headers.get("Content-Length", "0"))
        Busy.busy = int(json.loads(self.rfile.read(length))["busy"])
        Busy.seen = []
        self._answer(200, {"busy": Busy.busy})

    def _answer(self, status: int, body: object) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: object) -> None:
        del args


def main() -> None:
    httpd = http.server.ThreadingHTTPServer((sys.argv[1], 0), Busy)
    print(httpd.server_address[1], flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()

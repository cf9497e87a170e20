# SPDX-License-Identifier: Apache-2.0
"""Rate limiting: a token bucket per (tenant, HTTP verb), as a Paste filter.

Each tenant (the context's project; the client address when the request has none)
has one bucket per verb, holding at most ``burst`` requests and refilled at ``rate``
requests per second. A request takes one token; with none left it is refused at once
with the API version's over-limit fault and a ``Retry-After`` saying when a token
will be there. Refusing costs no store access and no plugin call, so a flooding
tenant cannot slow the others down by more than the refusals cost.

Buckets live in the process: with ``api_workers = N`` a tenant gets up to N times
the configured rate (each worker counts on its own).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from quantum.api.context import from_environ
from quantum.core.exceptions import ConfigError

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


@dataclass(frozen=True, slots=True)
class Rate:
    per_second: float
    burst: float


def parse_rates(text: str) -> dict[str, Rate]:
    """``"GET:20:40,POST:5:10"`` as ``{"GET": Rate(20, 40), ...}``.

    Raises ConfigError naming ``rate_limits`` and the bad entry.
    """
    rates: dict[str, Rate] = {}
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        parts = entry.split(":")
        try:
            verb, rate, burst = parts[0].strip().upper(), *map(float, parts[1:])
            if len(parts) != 3 or not verb:
                raise ValueError(entry)
        except ValueError:
            raise ConfigError(
                reason=f"rate_limits: {entry!r} is not VERB:RATE:BURST"
            ) from None
        if not (math.isfinite(rate) and math.isfinite(burst)) or rate <= 0 or burst < 1:
            raise ConfigError(
                reason=f"rate_limits: {entry!r} needs RATE > 0 and BURST >= 1"
            )
        if verb in rates:
            raise ConfigError(reason=f"rate_limits: {verb} is given twice")
        rates[verb] = Rate(rate, burst)
    return rates


class TokenBuckets:
    """Every caller's buckets; ``take`` is safe from threads and green threads."""

    SWEEP_EVERY = 4096
    """Takes between two sweeps of buckets that have refilled (they hold nothing)."""

    def __init__(
        self, rates: dict[str, Rate], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rates = rates
        self.clock = clock
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}
        self._lock = threading.Lock()
        self._takes = 0

    def bucket_for(self, verb: str) -> str | None:
        """The bucket name (a key of ``rates``) a verb spends; None: not limited."""
        verb = "GET" if verb == "HEAD" else verb
        if verb in self.rates:
            return verb
        return "*" if "*" in self.rates else None

    def take(self, caller: str, verb: str) -> float:
        """Take a token: 0.0 if there was one, else the seconds until there is."""
        bucket = self.bucket_for(verb)
        if bucket is None:
            return 0.0
        rate = self.rates[bucket]
        key = (caller, bucket)
        with self._lock:
            now = self.clock()
            tokens, last = self._buckets.get(key, (rate.burst, now))
            tokens = min(rate.burst, tokens + (now - last) * rate.per_second)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / rate.per_second
            self._takes += 1
            if self._takes % self.SWEEP_EVERY == 0:
                self._sweep(now)
        return wait

    def _sweep(self, now: float) -> None:
        for key, (tokens, last) in list(self._buckets.items()):
            rate = self.rates[key[1]]
            if tokens + (now - last) * rate.per_second >= rate.burst:
                del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)


OverLimit = Callable[[dict[str, Any], int], Any]
"""Builds the version's over-limit response (a WSGI app) for ``Retry-After``."""


class RateLimitFilter:
    """Refuses a request whose caller's bucket for its verb is empty."""

    def __init__(
        self, app: WsgiApp, buckets: TokenBuckets | None, over_limit: OverLimit
    ) -> None:
        self.app = app
        self.buckets = buckets
        self.over_limit = over_limit

    def caller(self, environ: dict[str, Any]) -> str:
        context = from_environ(environ)
        if context.project_id is not None:
            return "tenant:" + context.project_id
        return "address:" + str(environ.get("REMOTE_ADDR", ""))

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if self.buckets is None:
            return self.app(environ, start_response)
        wait = self.buckets.take(self.caller(environ), environ["REQUEST_METHOD"])
        if wait <= 0.0:
            return self.app(environ, start_response)
        response = self.over_limit(environ, max(1, math.ceil(wait)))
        return response(environ, start_response)  # type: ignore[no-any-return]

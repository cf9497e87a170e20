# SPDX-License-Identifier: Apache-2.0
"""Token buckets: burst, refill, per caller and verb, and the rates' syntax."""

from __future__ import annotations

import pytest

from quantum.api.ratelimit import Rate, TokenBuckets, parse_rates
from quantum.core.exceptions import ConfigError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_parse_rates() -> None:
    assert parse_rates(" get:20:40, POST:0.5:1 ,*:1:2,") == {
        "GET": Rate(20.0, 40.0),
        "POST": Rate(0.5, 1.0),
        "*": Rate(1.0, 2.0),
    }
    assert parse_rates("") == {}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("GET", "VERB:RATE:BURST"),
        ("GET:1", "VERB:RATE:BURST"),
        ("GET:1:2:3", "VERB:RATE:BURST"),
        ("GET:x:2", "VERB:RATE:BURST"),
        (":1:2", "VERB:RATE:BURST"),
        ("GET:0:2", "RATE > 0"),
        ("GET:1:0.5", "BURST >= 1"),
        ("GET:nan:2", "RATE > 0"),
        ("GET:inf:2", "RATE > 0"),
        ("GET:1:2,get:3:4", "given twice"),
    ],
)
def test_bad_rates_name_the_option_and_entry(text: str, says: str) -> None:
    with pytest.raises(ConfigError, match="rate_limits") as raised:
        parse_rates(text)
    assert says in str(raised.value)


def test_burst_then_the_configured_rate() -> None:
    clock = Clock()
    buckets = TokenBuckets({"POST": Rate(2.0, 3.0)}, clock)
    assert [buckets.take("tenant:a", "POST") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("tenant:a", "POST") == pytest.approx(0.5)
    clock.now += 0.25  # half a token: still refused, and told to wait the rest
    assert buckets.take("tenant:a", "POST") == pytest.approx(0.25)
    clock.now += 0.25
    assert buckets.take("tenant:a", "POST") == 0.0
    assert buckets.take("tenant:a", "POST") > 0.0
    clock.now += 100.0  # a long pause refills to the burst, not beyond
    assert [buckets.take("tenant:a", "POST") for _ in range(4)][-1] > 0.0


def test_callers_and_verbs_have_their_own_buckets() -> None:
    clock = Clock()
    buckets = TokenBuckets({"GET": Rate(1.0, 1.0), "PUT": Rate(1.0, 1.0)}, clock)
    assert buckets.take("tenant:a", "GET") == 0.0
    assert buckets.take("tenant:a", "GET") > 0.0
    assert buckets.take("tenant:a", "HEAD") > 0.0  # HEAD spends GET's tokens
    assert buckets.take("tenant:b", "GET") == 0.0
    assert buckets.take("tenant:a", "PUT") == 0.0
    assert buckets.take("address:10.0.0.1", "GET") == 0.0


def test_unlisted_verbs_share_the_star_bucket_or_are_free() -> None:
    clock = Clock()
    free = TokenBuckets({"GET": Rate(1.0, 1.0)}, clock)
    assert all(free.take("tenant:a", "DELETE") == 0.0 for _ in range(100))
    star = TokenBuckets({"*": Rate(1.0, 1.0)}, clock)
    assert star.take("tenant:a", "DELETE") == 0.0
    assert star.take("tenant:a", "PATCH") > 0.0


def test_refilled_buckets_are_swept() -> None:
    clock = Clock()
    buckets = TokenBuckets({"GET": Rate(10.0, 10.0)}, clock)
    for n in range(TokenBuckets.SWEEP_EVERY - 1):
        buckets.take(f"address:{n}", "GET")
    assert len(buckets) == TokenBuckets.SWEEP_EVERY - 1
    clock.now += 1.0
    buckets.take("tenant:last", "GET")
    assert len(buckets) == 1

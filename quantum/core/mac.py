# SPDX-License-Identifier: Apache-2.0
"""MAC addresses: parse what clients send, generate a port's from the base prefix."""

from __future__ import annotations

import random
import re

_SEPARATED = re.compile(r"^([0-9a-f]{1,2})([:-])(?:[0-9a-f]{1,2}\2){4}[0-9a-f]{1,2}$")
_BARE = re.compile(r"^[0-9a-f]{12}$")
_DOTTED = re.compile(r"^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$")


def parse_mac(text: str) -> str | None:
    """``text`` as lower-case ``xx:xx:xx:xx:xx:xx``, or None when it is not an
    EUI-48 (colon, dash, bare or dotted hex)."""
    value = text.strip().lower()
    if _SEPARATED.match(value):
        octets = [int(p, 16) for p in re.split("[:-]", value)]
    elif _BARE.match(value) or _DOTTED.match(value):
        digits = value.replace(".", "")
        octets = [int(digits[i : i + 2], 16) for i in range(0, 12, 2)]
    else:
        return None
    return ":".join(f"{o:02x}" for o in octets)


def is_multicast(mac: str) -> bool:
    return bool(int(mac[:2], 16) & 1)


def random_mac(base: str, rng: random.Random | None = None) -> str:
    """Octets 1-3 of ``base`` (and 4 when it is not ``00``), the rest random."""
    source = rng or random.SystemRandom()
    octets = [int(p, 16) for p in base.split(":")]
    kept = 4 if octets[3] else 3
    fresh = [source.randrange(256) for _ in range(6 - kept)]
    return ":".join(f"{o:02x}" for o in octets[:kept] + fresh)

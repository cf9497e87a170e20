# SPDX-License-Identifier: Apache-2.0
"""``quantum.server.fixed_mmap_threshold``: glibc keeps giving large blocks a
mapping of their own (returned when freed) after one such block was freed, where
by default it would raise its threshold and take them from the heap."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
import quantum.server
if sys.argv[1] == "fixed":
    quantum.server.fixed_mmap_threshold()

def heap():
    for line in open("/proc/self/maps"):
        if line.rstrip().endswith("[heap]"):
            low, high = line.split()[0].split("-")
            return int(low, 16), int(high, 16)
    return 0, 0

big = bytes(4 << 20)  # NOTE: a mapping of its own; freed, glibc raises its threshold
del big
blocks = [bytes(300_000) for _ in range(4)]  # NOTE: id() is where the data is
low, high = heap()
print(json.dumps({
    "in_heap": sum(low <= id(b) < high for b in blocks),
    "ctypes": sorted(m for m in sys.modules if m.startswith(("ctypes", "_ctypes"))),
}))
"""


def _probe(mode: str) -> dict[str, object]:
    done = subprocess.run(  # noqa: S603  # NOTE: our interpreter, our script
        [sys.executable, "-W", "ignore", "-c", PROBE, mode],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    return dict(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize("mode", ["default", "fixed"])
def test_large_blocks_after_a_freed_one(mode: str) -> None:
    found = _probe(mode)
    if mode == "default":
        # NOTE: the positive control: glibc's own behaviour, which the probe sees.
        assert found["in_heap"] == 4
    else:
        assert found["in_heap"] == 0
        # NOTE: the module that set it is dropped again (only its library stays).
        assert found["ctypes"] == ["_ctypes"]

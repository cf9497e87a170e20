# SPDX-License-Identifier: Apache-2.0
"""The one "not given" marker: a field the client left out, distinct from ``null``."""

from __future__ import annotations

import enum


class Unset(enum.Enum):
    """A field the client left out (distinct from an explicit ``null``): the one
    "not given" marker, also of the v2 API's attribute defaults."""

    UNSET = "UNSET"


UNSET = Unset.UNSET

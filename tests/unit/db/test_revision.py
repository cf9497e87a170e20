# SPDX-License-Identifier: Apache-2.0
"""Which change-feed topics a write stamps."""

from __future__ import annotations

import quantum.db.extension_models  # noqa: F401  # NOTE: their tables too
from quantum.core.feed import ALL_TOPICS, Topic
from quantum.db.models import Base
from quantum.db.revision import TABLE_TOPICS, topics_of


def test_every_table_has_its_topics_decided() -> None:
    missing = sorted(set(Base.metadata.tables) - set(TABLE_TOPICS))
    assert missing == [], (
        f"place {missing} in quantum.db.revision.TABLE_TOPICS: until then a write "
        "to them wakes every agent"
    )


def test_a_write_stamps_the_topics_of_its_tables() -> None:
    assert topics_of(["subnets", "subnet_dns_nameservers"]) == {Topic.SUBNETS}
    assert topics_of(["ports", "ip_allocations", "quota_locks"]) == {Topic.PORTS}
    assert topics_of(["quotas"]) == frozenset()
    assert topics_of(["a_table_nobody_placed"]) == ALL_TOPICS

# SPDX-License-Identifier: Apache-2.0
"""What differs between v1.0 and v1.1 (and nothing else does)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ApiVersion:
    name: str
    status: str
    xmlns: str
    create_status: str
    shows_op_status: bool


V1_0 = ApiVersion(
    name="v1.0",
    status="CURRENT",
    xmlns="http://openstack.org/quantum/api/v1.0",
    create_status="200 OK",
    shows_op_status=False,
)
V1_1 = ApiVersion(
    name="v1.1",
    status="PROPOSED",
    xmlns="http://openstack.org/quantum/api/v1.1",
    create_status="202 Accepted",
    shows_op_status=True,
)
VERSIONS = (V1_0, V1_1)

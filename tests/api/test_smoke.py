# SPDX-License-Identifier: Apache-2.0
from tests.conftest import ApiUnderTest


def test_create_and_show_network(api: ApiUnderTest) -> None:
    created = api.post("/v1.1/tenants/t1/networks", {"network": {"name": "n1"}})
    assert created.status_int == 202
    net_id = created.json["network"]["id"]
    shown = api.get(f"/v1.1/tenants/t1/networks/{net_id}")
    assert shown.json == {"network": {"id": net_id, "name": "n1", "op-status": "UP"}}

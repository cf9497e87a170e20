# SPDX-License-Identifier: Apache-2.0
"""Listing (spec §1.8): filters, fields, sorting, keyset pagination with links."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from quantum.api.app import load_app
from quantum.api.v2.router import ApiV2
from quantum.core.settings import load_settings
from quantum.db import migration
from quantum.db.session import make_engine
from quantum.plugins.core.listing import PreparedPage
from quantum.testing.client import Client, write_config
from tests.api.v2.client import ADMIN, V2, error, tenant


def _names(response: Any, key: str = "networks") -> list[str]:
    assert response.status_int == 200, response.body
    return [item["name"] for item in response.json[key]]


@pytest.fixture
def five(v2: V2) -> V2:
    for name, up in (("c", True), ("a", False), ("e", True), ("b", True), ("d", False)):
        v2.network(name=name, admin_state_up=up)
    return v2


def test_filters_repeat_as_or_and_combine_as_and(five: V2) -> None:
    assert sorted(_names(five.get("/networks?name=a&name=d"))) == ["a", "d"]
    both = five.get("/networks?name=a&name=c&admin_state_up=false")
    assert _names(both) == ["a"]
    assert sorted(_names(five.get("/networks?admin_state_up=0"))) == ["a", "d"]
    assert len(_names(five.get("/networks?name="))) == 5
    assert len(_names(five.get("/networks?no_such_attribute=1"))) == 5
    assert _names(five.get("/networks?status=DOWN")) == []
    assert len(_names(five.get("/networks?status=ACTIVE"))) == 5
    assert _names(five.get("/networks?tenant_id=other")) == []
    assert len(_names(five.get("/networks?project_id=acme"))) == 5


def test_a_bad_filter_value_is_400(five: V2) -> None:
    assert error(five.get("/networks?admin_state_up=fake")) == (400, "InvalidInput")


def test_fields_select_keys_on_list_and_show(five: V2) -> None:
    listed = five.get("/networks?fields=name&fields=").json["networks"]
    assert sorted(listed, key=lambda n: n["name"])[0] == {"name": "a"}
    some = five.get("/networks?fields=id&fields=name&fields=bogus").json["networks"]
    assert all(set(n) == {"id", "name"} for n in some)
    shown = five.get(f"/networks/{some[0]['id']}?fields=status").json
    assert shown == {"network": {"status": "ACTIVE"}}


def test_sorting(five: V2) -> None:
    assert _names(five.get("/networks?sort_key=name")) == ["a", "b", "c", "d", "e"]
    down = five.get("/networks?sort_key=name&sort_dir=desc")
    assert _names(down) == ["e", "d", "c", "b", "a"]
    two = five.get(
        "/networks?sort_key=admin_state_up&sort_dir=asc&sort_key=name&sort_dir=desc"
    )
    assert _names(two) == ["d", "a", "e", "c", "b"]


@pytest.mark.parametrize(
    "query",
    [
        "sort_key=bogus",
        "sort_key=subnets",
        "sort_key=provider:segmentation_id",
        "sort_key=name&sort_dir=up",
        "sort_key=name&sort_key=id&sort_dir=asc",
        "limit=-1",
        "limit=x",
    ],
)
def test_bad_sort_or_limit_is_400(sqlite_v2: V2, query: str) -> None:
    assert error(sqlite_v2.get(f"/networks?{query}")) == (400, "InvalidInput")


def _query(href: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(href).query))


def _links(response: Any, key: str = "networks") -> dict[str, str]:
    return {link["rel"]: link["href"] for link in response.json.get(f"{key}_links", [])}


def test_pages_walk_forward_and_back_by_links(five: V2) -> None:
    first = five.get("/networks?limit=2&sort_key=name")
    assert _names(first) == ["a", "b"]
    links = _links(first)
    assert urlsplit(links["next"]).path == "/v2.0/networks"
    assert _query(links["next"]) == {
        "limit": "2",
        "sort_key": "name",
        "marker": first.json["networks"][1]["id"],
    }
    second = five.get("/networks?" + urlsplit(links["next"]).query)
    assert _names(second) == ["c", "d"]
    third = five.get("/networks?" + urlsplit(_links(second)["next"]).query)
    assert _names(third) == ["e"]
    assert "next" not in _links(third)
    back = five.get("/networks?" + urlsplit(_links(third)["previous"]).query)
    assert _query(_links(third)["previous"])["page_reverse"] == "True"
    assert _names(back) == ["c", "d"]
    start = five.get("/networks?" + urlsplit(_links(back)["previous"]).query)
    assert _names(start) == ["a", "b"]
    # NOTE: a full page walked backwards cannot know it is the first (§1.8): its
    # previous link leads to an empty page, whose next link starts over.
    before = five.get("/networks?" + urlsplit(_links(start)["previous"]).query)
    assert _names(before) == []
    assert set(_links(before)) == {"next"}
    assert "marker" not in _query(_links(before)["next"])


def test_descending_pages_and_filters_with_a_marker(five: V2) -> None:
    first = five.get(
        "/networks?limit=2&sort_key=name&sort_dir=desc&admin_state_up=true"
    )
    assert _names(first) == ["e", "c"]
    rest = five.get("/networks?" + urlsplit(_links(first)["next"]).query)
    assert _names(rest) == ["b"]


def _walk(v2: V2, query: str, rel: str = "next") -> list[str]:
    """The names on every page from ``query`` on, following each page's ``rel``
    link (``previous``: pages are prepended, so the result is in list order)."""
    names: list[str] = []
    response = v2.get(f"/networks?{query}")
    while True:
        page = _names(response)
        names = names + page if rel == "next" else page + names
        href = _links(response).get(rel)
        if href is None or not page:
            return names
        response = v2.get("/networks?" + urlsplit(href).query)


@pytest.mark.parametrize(
    "query",
    [
        "sort_key=admin_state_up",
        "sort_key=admin_state_up&sort_dir=desc",
        "sort_key=admin_state_up&sort_dir=asc&sort_key=name&sort_dir=desc",
        "sort_key=shared&sort_key=admin_state_up",
        "sort_key=name&sort_key=shared&sort_dir=desc&sort_dir=asc",
    ],
)
def test_links_of_a_boolean_sort_are_followable(five: V2, query: str) -> None:
    b = five.get("/networks?name=b").json["networks"][0]["id"]
    shared = five.put(f"/networks/{b}", {"network": {"shared": True}}, ADMIN)
    assert shared.status_int == 200, shared.body
    whole = _names(five.get(f"/networks?{query}"))
    assert sorted(whole) == ["a", "b", "c", "d", "e"]
    assert _walk(five, f"limit=2&{query}") == whole
    # NOTE: and back, by previous links, from before the last item to the start.
    last = five.get(f"/networks?{query}").json["networks"][-1]["id"]
    back = f"limit=2&{query}&marker={last}&page_reverse=True"
    assert _walk(five, back, "previous") == whole[:-1]


def test_unknown_marker_is_404_and_limit_zero_is_the_maximum(five: V2) -> None:
    gone = five.get("/networks?limit=1&marker=00000000-0000-0000-0000-000000000000")
    assert error(gone) == (404, "MarkerNotFound")
    assert len(_names(five.get("/networks?limit=0"))) == 5
    other = five.get("/networks", tenant("other")).json["networks"]
    assert other == []


def test_another_tenants_network_is_no_marker(five: V2) -> None:
    theirs = five.network(as_=tenant("other"))
    assert error(five.get(f"/networks?limit=1&marker={theirs['id']}")) == (
        404,
        "MarkerNotFound",
    )
    assert five.get(f"/networks?limit=1&marker={theirs['id']}", ADMIN).status_int == 200


def _small_page_client(directory: Path) -> Client:
    directory.mkdir()
    url = f"sqlite:///{directory / 'q.sqlite'}"
    engine = make_engine(url)
    migration.upgrade(engine)
    engine.dispose()
    config = write_config(directory, sql_connection=url, pagination_max_limit=2)
    return Client(load_app(load_settings(config)))


def test_the_configured_maximum_caps_every_page(tmp_path: Path) -> None:
    client = V2(_small_page_client(tmp_path / "small"), "sql")
    for name in "abc":
        client.network(name=name)
    unasked = client.get("/networks?sort_key=name")
    assert _names(unasked) == ["a", "b"]
    assert "next" in _links(unasked)
    assert _names(client.get("/networks?sort_key=name&limit=50")) == ["a", "b"]
    rest = client.get("/networks?" + urlsplit(_links(unasked)["next"]).query)
    assert _names(rest) == ["c"]


def test_a_list_leaves_the_garbage_collector_as_it_found_it(sqlite_v2: V2) -> None:
    """A list runs without the cyclic collector (PERF), which is on again after it,
    whether the list answered or failed; a collector someone turned off stays off."""
    net = sqlite_v2.network(name="n")
    sqlite_v2.port(net["id"])
    assert gc.isenabled()
    assert len(sqlite_v2.get("/ports").json["ports"]) == 1
    assert gc.isenabled()
    assert sqlite_v2.get("/ports?limit=x").status_int == 400
    assert gc.isenabled()
    gc.disable()
    try:
        assert sqlite_v2.get("/ports").status_int == 200
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_listed_ports_hold_their_addresses_in_order_on_every_page(v2: V2) -> None:
    """A page of ports and their addresses are read together (PERF: one
    statement): each listed port shows the addresses its show does, in its
    order, whatever the sort, the page and its direction; a port without any
    shows none."""
    net = v2.network(name="n")
    subnets = [
        v2.post(
            "/subnets",
            {"subnet": {"network_id": net["id"], "ip_version": 4, "cidr": cidr}},
        ).json["subnet"]["id"]
        for cidr in ("10.0.0.0/24", "10.0.1.0/24")
    ]
    bare = v2.network(name="bare")
    made = []
    for i, name in enumerate(["c", "a", "e", "b", "d"]):
        ips = [{"subnet_id": subnets[(i + k) % 2]} for k in range(i % 3 + 1)]
        made.append(v2.port(net["id"], name=name, fixed_ips=ips))
    made.append(v2.port(bare["id"], name="f"))
    shown = {p["id"]: v2.get(f"/ports/{p['id']}").json["port"] for p in made}
    assert sorted(len(p["fixed_ips"]) for p in shown.values()) == [0, 1, 1, 2, 2, 3]
    for query in (
        "",
        "?sort_key=name",
        "?sort_key=name&sort_dir=desc",
        "?sort_key=admin_state_up&sort_key=name&sort_dir=asc&sort_dir=desc",
    ):
        whole = v2.get(f"/ports{query}").json["ports"]
        assert whole == [shown[p["id"]] for p in whole], query
        assert len(whole) == len(made)
        sep = "&" if query else "?"
        first = v2.get(f"/ports{query}{sep}limit=2").json["ports"]
        assert first == whole[:2]
        marker = whole[3]["id"]
        after = v2.get(f"/ports{query}{sep}limit=2&marker={marker}").json["ports"]
        assert after == whole[4:6]
        back = v2.get(
            f"/ports{query}{sep}limit=2&marker={marker}&page_reverse=True"
        ).json["ports"]
        assert back == whole[1:3]


def test_fields_of_stored_attributes_show_what_the_whole_list_does(v2: V2) -> None:
    """``fields=`` naming only attributes stored as shown (PERF: the store's rows
    serve as the items) shows each port's values as the whole list does."""
    net = v2.network(name="n")
    v2.port(net["id"], name="up", device_id="vm", description="d")
    v2.port(net["id"], name="down", admin_state_up=False, device_owner="compute:x")
    names = [
        "id",
        "name",
        "network_id",
        "tenant_id",
        "project_id",
        "admin_state_up",
        "mac_address",
        "device_id",
        "device_owner",
        "description",
        "revision_number",
        "port_security_enabled",
    ]
    whole = v2.get("/ports?sort_key=name").json["ports"]
    query = "&".join(f"fields={name}" for name in names)
    narrow = v2.get(f"/ports?sort_key=name&{query}").json["ports"]
    assert narrow == [{k: p[k] for k in names} for p in whole]
    assert [p["admin_state_up"] for p in narrow] == [False, True]


def _both_ways(v2: V2, monkeypatch: pytest.MonkeyPatch, path: str, as_: Any) -> Any:
    """A list as answered from the store's rows (``ApiV2._rendered_page``), and
    as answered from its items (the rows path turned off): (status, body) each,
    and whether the rows served the first."""
    rendered: list[bool] = []
    original = ApiV2._rendered_page

    def spy(self: ApiV2, *args: Any) -> Any:
        found = original(self, *args)
        rendered.append(found is not None)
        return found

    monkeypatch.setattr(ApiV2, "_rendered_page", spy)
    rows = v2.get(path, as_)
    monkeypatch.setattr(ApiV2, "_rendered_page", lambda self, *args: None)
    items = v2.get(path, as_)
    monkeypatch.setattr(ApiV2, "_rendered_page", original)
    return (rows.status, rows.body), (items.status, items.body), any(rendered)


def test_a_page_rendered_from_rows_is_the_page_of_items_byte_for_byte(
    v2: V2, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PERF: a list of ports renders the store's rows without building ports
    (``compile_page_view``); its bodies are those the ports' view gives, for an
    admin and for tenants (``binding:*`` hidden), with ``fields=``, sorts, filters
    and pages, on every back-end."""
    owner = tenant("acme")
    net = v2.network(name="n", shared=True, as_=ADMIN)
    for cidr, version in (("10.0.0.0/24", 4), ("fd00::/64", 6)):
        body = {"network_id": net["id"], "ip_version": version, "cidr": cidr}
        assert v2.post("/subnets", {"subnet": body}, ADMIN).status_int == 201
    bare = v2.network(name="bare")
    group = v2.post("/security-groups", {"security_group": {"name": "g"}}).json
    made = [
        v2.port(net["id"], name="plain"),
        v2.port(net["id"], name="ünï", admin_state_up=False, description="d"),
        v2.port(
            net["id"],
            as_=ADMIN,
            tenant_id="acme",
            name="bound",
            **{"binding:host_id": "hv1", "binding:profile": {"a": [1, None]}},
        ),
        v2.port(
            net["id"],
            name="paired",
            allowed_address_pairs=[{"ip_address": "10.9.0.0/24"}],
            security_groups=[group["security_group"]["id"]],
        ),
        v2.port(bare["id"], name="no address", port_security_enabled=False),
        v2.port(net["id"], as_=tenant("other"), name="another tenant's"),
    ]
    renamed = v2.put(f"/ports/{made[0]['id']}", {"port": {"name": "renamed"}})
    assert renamed.status_int == 200
    tagged = v2.put(f"/ports/{made[3]['id']}/tags", {"tags": ["z", "a"]})
    assert tagged.status_int == 200
    marker = made[2]["id"]
    queries = [
        "",
        "?fields=id&fields=status",
        "?fields=status&fields=binding:host_id&fields=name&fields=status",
        "?fields=created_at&fields=tags&fields=fixed_ips&fields=binding:vif_type",
        "?sort_key=name&sort_dir=desc",
        "?sort_key=status&sort_key=name&limit=2",
        f"?limit=2&marker={marker}",
        f"?limit=2&marker={marker}&page_reverse=True",
        "?status=DOWN&admin_state_up=False",
        "?fixed_ips=ip_address=10.0.0.3",
        "?tags=a",
        f"?network_id={bare['id']}&fields=security_groups&fields=fixed_ips",
        "?sort_key=fixed_ips",
        "?name=plain&name=renamed&name=bound",
        "?admin_state_up=True&sort_key=created_at&sort_dir=desc",
        f"?sort_key=created_at&sort_dir=desc&limit=2&marker={marker}",
        f"?sort_key=admin_state_up&limit=3&marker={marker}&page_reverse=True",
    ]
    served = 0
    for who in (ADMIN, owner, tenant("other")):
        for query in queries:
            rows, items, rendered = _both_ways(v2, monkeypatch, f"/ports{query}", who)
            assert rows == items, (who, query)
            served += rendered
    # control: the rows served the lists (not the items twice), and they differ
    # by caller (binding:* for admins only)
    assert served >= 2 * len(queries)
    whole = _both_ways(v2, monkeypatch, "/ports", ADMIN)[0][1]
    assert b'"binding:vif_type"' in whole
    assert (
        b'"binding:vif_type"' not in _both_ways(v2, monkeypatch, "/ports", owner)[0][1]
    )


def _prepared(monkeypatch: pytest.MonkeyPatch) -> list[bool | None]:
    """Whether each ``PreparedPage.rows`` call since served its page (False: the
    query was not prepared, ``page`` built it; None: it raised)."""
    answered: list[bool | None] = []
    original = PreparedPage.rows

    def spy(self: PreparedPage, *args: Any) -> Any:
        answered.append(None)
        found = original(self, *args)
        answered[-1] = found is not None
        return found

    monkeypatch.setattr(PreparedPage, "rows", spy)
    return answered


def test_a_prepared_page_binds_each_requests_values(
    v2: V2, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PERF: a page's statement is built once per shape of query
    (``PreparedPage``); lists of the same shape with other values (tenant, filter
    values, limit, marker) each get their own page, as the items path (a
    statement built per request) gives it, on every back-end."""
    net = v2.network(name="n", shared=True, as_=ADMIN)
    body = {"network_id": net["id"], "ip_version": 4, "cidr": "10.0.0.0/24"}
    assert v2.post("/subnets", {"subnet": body}, ADMIN).status_int == 201
    for owner in ("acme", "umbrella"):
        for name in ("a", "b", "c"):
            v2.port(net["id"], as_=tenant(owner), name=f"{owner}-{name}")
    ids = [p["id"] for p in v2.get("/ports?sort_key=name", ADMIN).json["ports"]]
    answered = _prepared(monkeypatch)
    pairs = [
        (("/ports", tenant("acme")), ("/ports", tenant("umbrella"))),
        (("/ports?name=acme-a", ADMIN), ("/ports?name=umbrella-b", ADMIN)),
        (
            ("/ports?name=acme-a&name=acme-c", ADMIN),
            ("/ports?name=umbrella-a&name=umbrella-b", ADMIN),
        ),
        (
            ("/ports?sort_key=name&limit=1", ADMIN),
            ("/ports?sort_key=name&limit=4", ADMIN),
        ),
        (
            (f"/ports?sort_key=name&limit=2&marker={ids[0]}", ADMIN),
            (f"/ports?sort_key=name&limit=2&marker={ids[3]}", ADMIN),
        ),
        (
            (
                f"/ports?sort_key=name&limit=2&marker={ids[2]}&page_reverse=True",
                tenant("acme"),
            ),
            (
                f"/ports?sort_key=name&limit=2&marker={ids[5]}&page_reverse=True",
                tenant("umbrella"),
            ),
        ),
    ]
    for first, second in pairs:
        bodies = []
        for path, who in (first, second):
            rows, items, rendered = _both_ways(v2, monkeypatch, path, who)
            assert rendered, path
            assert rows == items, (path, who)
            assert rows[0] == "200 OK", rows
            bodies.append(rows[1])
        # control: the same shape, other values, another page
        assert bodies[0] != bodies[1], (first, second)
        assert b'"ports":[]' not in bodies[0]
        assert b'"ports":[]' not in bodies[1]
    # by id (SQLite: the page bounded by its last port, ``_bounded_with_ips``):
    # fewer ports than the limit, as many, more; forward and reverse; none at all
    by_id = sorted(ids)
    for who in (ADMIN, tenant("acme"), tenant("nobody")):
        for limit in range(1, 8):
            for extra in (
                "",
                f"&marker={by_id[2]}",
                f"&marker={by_id[3]}&page_reverse=True",
            ):
                path = f"/ports?limit={limit}{extra}"
                rows, items, rendered = _both_ways(v2, monkeypatch, path, who)
                # NOTE: another tenant's marker is not found (404), both ways
                assert rendered or rows[0].startswith("404"), (path, rows)
                assert rows == items, (path, who)
    # control: the bounded pages are the first ones by id, their length the limit
    three = v2.get("/ports?limit=3", ADMIN).json["ports"]
    assert [p["id"] for p in three] == by_id[:3]
    reverse = v2.get(f"/ports?limit=2&marker={by_id[3]}&page_reverse=True", ADMIN)
    assert [p["id"] for p in reverse.json["ports"]] == by_id[1:3]
    # control: each rows path was the prepared statement's, not ``page``'s (None:
    # it raised MarkerNotFound)
    assert True in answered
    assert False not in answered, answered
    answered.clear()
    _both_ways(v2, monkeypatch, "/ports?tags=a", ADMIN)
    assert answered == [False]
    # a marker the caller does not see, through the prepared statement
    answered.clear()
    hidden = v2.get(f"/ports?limit=1&marker={ids[3]}", tenant("acme"))
    assert hidden.status_int == 404, hidden.body
    assert answered == [None]
    # control: its own marker pages
    seen = v2.get(f"/ports?sort_key=name&limit=1&marker={ids[0]}", tenant("acme"))
    assert [p["name"] for p in seen.json["ports"]] == ["acme-b"]

# SPDX-License-Identifier: Apache-2.0
"""``service_plugins``: further services by name beside the core plugin's, loaded
like ``core_plugin`` (dotted path or alias); a bad value stops the start with a
message naming the option and the choices. The plugin here is a small real one
(``labels.py``) that calls the core's networks service."""

from __future__ import annotations

from pathlib import Path

import pytest

from quantum.api.app import Service
from quantum.core import exceptions as exc
from quantum.core.listing import ListQuery
from quantum.core.networks import NetworkCreate
from quantum.core.quotas import QuotaResource
from quantum.core.scope import Scope
from quantum.core.settings import Settings, load_settings
from quantum.plugins.fake import FakePlugin
from quantum.plugins.interface import ServicePlugin
from quantum.plugins.l3.plugin import L3Plugin
from quantum.plugins.lbaas.plugin import LbaasPlugin
from quantum.plugins.loader import load_service_plugins
from quantum.testing.client import write_config
from tests.unit.plugins.labels import LabelCreate, Labels, LabelsPlugin, LabelUpdate

LABELS = "tests.unit.plugins.labels:LabelsPlugin"
ACME = Scope(tenant_id="acme")
OTHER = Scope(tenant_id="other")


@pytest.fixture
def service(tmp_path: Path) -> Service:
    config = write_config(tmp_path, core_plugin="fake", service_plugins=LABELS)
    return Service.build(load_settings(config))


def test_a_service_plugin_adds_its_services_beside_the_cores(service: Service) -> None:
    (extra,) = service.service_plugins
    assert isinstance(extra, LabelsPlugin)
    assert isinstance(extra, ServicePlugin)
    assert set(service.services) == {"networks", "subnets", "ports", "quotas", "labels"}
    assert service.services["networks"] is service.plugin.networks
    assert service.services["labels"] is extra.labels


def test_its_service_works_through_the_core_services(service: Service) -> None:
    labels = service.services["labels"]
    assert isinstance(labels, Labels)
    (net,) = service.plugin.networks.create(ACME, [NetworkCreate(tenant_id="acme")])

    (label,) = labels.create(
        ACME, [LabelCreate(tenant_id="acme", network_id=net.id, text="blue")]
    )
    renamed = labels.update(ACME, label.id, LabelUpdate(text="green"))

    assert renamed.text == "green"
    assert labels.list(ACME, ListQuery(filters={"network_id": (net.id,)})) == [renamed]
    # NOTE: the core's tenancy: another tenant's network is not found, for labels too.
    with pytest.raises(exc.NetworkNotFound):
        labels.create(
            OTHER, [LabelCreate(tenant_id="other", network_id=net.id, text="x")]
        )
    assert labels.list(OTHER, ListQuery()) == []


def test_closing_the_service_closes_its_service_plugins(service: Service) -> None:
    (extra,) = service.service_plugins
    assert isinstance(extra, LabelsPlugin)
    service.close()
    assert extra.closed


@pytest.mark.parametrize(
    "name", ["routers", "no.such.module:Plugin", "quantum.core:Nope"]
)
def test_a_bad_value_names_the_option_and_the_choices(name: str) -> None:
    core = FakePlugin()
    with pytest.raises(exc.ConfigError) as raised:
        load_service_plugins(Settings(service_plugins=name), core)
    core.close()
    message = str(raised.value)
    assert f"service_plugins = {name!r} in [DEFAULT] cannot be loaded" in message
    assert "Choose among: lbaas, router, or dotted paths" in message


def test_something_that_is_not_a_service_plugin_is_refused(tmp_path: Path) -> None:
    config = write_config(
        tmp_path, core_plugin="fake", service_plugins="quantum.core.status:OpStatus"
    )
    with pytest.raises(exc.ConfigError, match="does not implement the service plugin"):
        Service.build(load_settings(config))


def test_a_name_the_core_already_offers_is_refused(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        core_plugin="fake",
        service_plugins="tests.unit.plugins.labels:NetworksAgain",
    )
    with pytest.raises(exc.ConfigError, match="offers 'networks', which another"):
        Service.build(load_settings(config))


def test_without_service_plugins_there_are_the_core_services(tmp_path: Path) -> None:
    service = Service.build(load_settings(write_config(tmp_path, core_plugin="fake")))
    assert service.service_plugins == ()
    assert set(service.services) == {"networks", "subnets", "ports", "quotas"}
    service.close()


def test_router_serves_routers_and_floatingips_and_registers_their_quotas() -> None:
    core = FakePlugin()
    plugins, services = load_service_plugins(Settings(service_plugins="router"), core)
    try:
        (l3,) = plugins
        assert set(l3.supported_extension_aliases) == {
            "router",
            "extraroute",
            "ext-gw-mode",
        }
        assert {"routers", "floatingips"} <= set(services)
        assert core.quotas.defaults()[QuotaResource.ROUTER] == 10
        assert core.quotas.defaults()[QuotaResource.FLOATINGIP] == 50
    finally:
        core.close()


def test_lbaas_serves_its_four_resources_and_registers_their_quotas() -> None:
    core = FakePlugin()
    plugins, services = load_service_plugins(Settings(service_plugins="lbaas"), core)
    try:
        (lbaas,) = plugins
        assert set(lbaas.supported_extension_aliases) == {"lbaas"}
        assert {"vips", "pools", "members", "health_monitors"} <= set(services)
        defaults = core.quotas.defaults()
        assert defaults[QuotaResource.VIP] == 10
        assert defaults[QuotaResource.POOL] == 10
        assert defaults[QuotaResource.MEMBER] == -1
        assert defaults[QuotaResource.HEALTH_MONITOR] == -1
    finally:
        core.close()


def test_lbaas_needs_a_core_plugin_with_a_sql_store() -> None:
    class Bare:
        db = None
        ports = None

    with pytest.raises(exc.ConfigError) as raised:
        LbaasPlugin(Settings(), Bare())  # type: ignore[arg-type]  # NOTE: on purpose
    assert "service_plugins = lbaas needs a core plugin with a SQL store" in str(
        raised.value
    )


def test_router_needs_a_core_plugin_with_a_sql_store() -> None:
    class Bare:
        db = None
        ports = None

    with pytest.raises(exc.ConfigError) as raised:
        L3Plugin(Settings(), Bare())  # type: ignore[arg-type]  # NOTE: on purpose
    assert "service_plugins = router needs a core plugin with a SQL store" in str(
        raised.value
    )

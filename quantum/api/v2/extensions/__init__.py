# SPDX-License-Identifier: Apache-2.0
"""The v2 API extensions: one module each, declaring an ``Extension``
(``quantum.api.v2.attributes``) named ``EXTENSION``.

An extension adds resources (``resources``) and attributes of existing ones
(``extends={"network": Extend(fields=(...), compose=(...))}``): the fields are
appended to the resource's own wherever it is served, parsed, checked, shown and
documented like them. It is served only when its alias is enabled
(``quantum.api.v2.catalog``). A new one: write the module and list it in
``EXTENSIONS`` (security groups: ``security_group``, ``port_security``,
``allowed_address_pairs``).
"""

from quantum.api.v2.extensions import (
    agent,
    agent_scheduler,
    allowed_address_pairs,
    binding,
    description,
    external_net,
    extraroute,
    l3_agent_scheduler,
    lbaas,
    net_mtu,
    port_security,
    provider,
    quotas,
    revisions,
    router,
    security_group,
    tags,
    timestamp,
)

EXTENSIONS = (
    provider.EXTENSION,
    external_net.EXTENSION,
    router.EXTENSION,
    extraroute.EXTENSION,
    router.GW_MODE,
    binding.EXTENSION,
    quotas.EXTENSION,
    agent.EXTENSION,
    agent_scheduler.EXTENSION,
    l3_agent_scheduler.EXTENSION,
    net_mtu.EXTENSION,
    description.EXTENSION,
    timestamp.EXTENSION,
    revisions.EXTENSION,
    revisions.IF_MATCH,
    tags.EXTENSION,
    *tags.ALIASES,
    # -- security groups and port security --
    security_group.EXTENSION,
    port_security.EXTENSION,
    allowed_address_pairs.EXTENSION,
    # -- load balancing --
    lbaas.EXTENSION,
)
"""Every v2 extension, in the order ``/v2.0/extensions`` lists them."""

# SPDX-License-Identifier: Apache-2.0
"""The agent scheduler (spec §5.9), administrators only, with Grizzly's commands.

DHCP: ``dhcp-agent-network-add/remove DHCP_AGENT NETWORK``,
``net-list-on-dhcp-agent DHCP_AGENT``, ``dhcp-agent-list-hosting-net NETWORK``.
L3: ``l3-agent-router-add/remove L3_AGENT ROUTER``, ``router-list-on-l3-agent
L3_AGENT``, ``l3-agent-list-hosting-router ROUTER``. Agents are given by id,
networks and routers by id or name.
"""

from __future__ import annotations

import argparse
from typing import Any, ClassVar

from cliff.command import Command
from cliff.lister import Lister

from quantum.cli import columns as cols
from quantum.cli.commands import client_of
from quantum.cli.specs import NETWORK
from quantum.client.v2 import Client, Record

HOSTING_COLUMNS = ("id", "host", "admin_state_up", "alive")
"""What Grizzly showed of the agents hosting a network or a router."""


class _Change(Command):
    """Add a network (router) to an agent, or take it off."""

    agent: ClassVar[str]
    thing: ClassVar[str]
    done: ClassVar[str]

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument(self.agent, help=f"id of the {self.agent.lower()}")
        parser.add_argument(self.thing, help=f"id or name of the {self.thing.lower()}")
        return parser

    def change(self, client: Client, agent: str, thing: str) -> None:
        raise NotImplementedError

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        client = client_of(self)
        agent = getattr(parsed_args, self.agent)
        thing = getattr(parsed_args, self.thing)
        self.change(client, agent, thing)
        self.app.stdout.write(self.done.format(thing) + "\n")
        return 0


class DhcpAgentNetworkAdd(_Change):
    """Add a network to a DHCP agent."""

    agent, thing, done = "DHCP_AGENT", "NETWORK", "Added network {} to DHCP agent"

    def change(self, client: Client, agent: str, thing: str) -> None:
        client.agents.add_dhcp_network(agent, client.networks.find_id(thing))


class DhcpAgentNetworkRemove(_Change):
    """Remove a network from a DHCP agent."""

    agent, thing, done = "DHCP_AGENT", "NETWORK", "Removed network {} from DHCP agent"

    def change(self, client: Client, agent: str, thing: str) -> None:
        client.agents.remove_dhcp_network(agent, client.networks.find_id(thing))


class L3AgentRouterAdd(_Change):
    """Add a router to an L3 agent."""

    agent, thing, done = "L3_AGENT", "ROUTER", "Added router {} to L3 agent"

    def change(self, client: Client, agent: str, thing: str) -> None:
        client.agents.add_l3_router(agent, client.routers.find_id(thing))


class L3AgentRouterRemove(_Change):
    """Remove a router from an L3 agent."""

    agent, thing, done = "L3_AGENT", "ROUTER", "Removed router {} from L3 agent"

    def change(self, client: Client, agent: str, thing: str) -> None:
        client.agents.remove_l3_router(agent, client.routers.find_id(thing))


class _Listing(Lister):
    """The networks (routers) of an agent, or the agents of a network (router)."""

    of: ClassVar[str]
    shown: ClassVar[tuple[str, ...]]

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "-D", "--show-details", action="store_true", help="show every attribute"
        )
        parser.add_argument(self.of, help=f"the {self.of.lower()} (id or name)")
        return parser

    def fetch(self, client: Client, which: str) -> list[Record]:
        raise NotImplementedError

    def take_action(self, parsed_args: argparse.Namespace) -> Any:
        client = client_of(self)
        records = self.fetch(client, getattr(parsed_args, self.of))
        shown = self.shown
        if parsed_args.show_details:
            shown = cols.all_columns(records) or shown
        self.decorate(records, client, parsed_args)
        return shown, (cols.row(r, shown) for r in records)

    def decorate(
        self, records: list[Record], client: Client, args: argparse.Namespace
    ) -> None:
        del records, client, args


class NetListOnDhcpAgent(_Listing):
    """List the networks on a DHCP agent."""

    of, shown = "DHCP_AGENT", NETWORK.list_columns

    def fetch(self, client: Client, which: str) -> list[Record]:
        return client.agents.dhcp_networks(which)

    def decorate(
        self, records: list[Record], client: Client, args: argparse.Namespace
    ) -> None:
        NETWORK.decorate(records, client, args)


class DhcpAgentListHostingNet(_Listing):
    """List the DHCP agents hosting a network."""

    of, shown = "NETWORK", HOSTING_COLUMNS

    def fetch(self, client: Client, which: str) -> list[Record]:
        return client.networks.dhcp_agents(client.networks.find_id(which))


class RouterListOnL3Agent(_Listing):
    """List the routers on an L3 agent."""

    of, shown = "L3_AGENT", ("id", "name", "external_gateway_info")

    def fetch(self, client: Client, which: str) -> list[Record]:
        return client.agents.l3_routers(which)


class L3AgentListHostingRouter(_Listing):
    """List the L3 agents hosting a router."""

    of, shown = "ROUTER", HOSTING_COLUMNS

    def fetch(self, client: Client, which: str) -> list[Record]:
        return client.routers.l3_agents(client.routers.find_id(which))


DHCP_COMMANDS: tuple[tuple[str, type[Command]], ...] = (
    ("dhcp-agent-network-add", DhcpAgentNetworkAdd),
    ("dhcp-agent-network-remove", DhcpAgentNetworkRemove),
    ("net-list-on-dhcp-agent", NetListOnDhcpAgent),
    ("dhcp-agent-list-hosting-net", DhcpAgentListHostingNet),
)
L3_COMMANDS: tuple[tuple[str, type[Command]], ...] = (
    ("l3-agent-router-add", L3AgentRouterAdd),
    ("l3-agent-router-remove", L3AgentRouterRemove),
    ("router-list-on-l3-agent", RouterListOnL3Agent),
    ("l3-agent-list-hosting-router", L3AgentListHostingRouter),
)

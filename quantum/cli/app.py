# SPDX-License-Identifier: Apache-2.0
"""``quantum``: the application, its ``--os-*`` options and how it connects.

How it authenticates, first match wins:

1. ``--os-token`` and ``--os-url``: the token, to that endpoint (no Keystone);
2. ``--os-auth-strategy noauth``, or ``--os-url`` without ``--os-auth-url``: no
   token; ``--os-project-id`` is sent as ``X-Project-Id`` (the noauth server's
   tenant);
3. ``--os-auth-url`` with ``--os-username``/``--os-password``: Keystone; the
   endpoint is the catalog's ``network`` service unless ``--os-url`` is given.

Every option has its ``OS_*`` variable. Exit status: 0 done, 1 the command failed
(the server's message is printed as it is), 2 a usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from cliff.app import App
from cliff.commandmanager import CommandManager

from quantum.cli import commands, l3, lbaas, quotas, scheduler, secgroups, specs
from quantum.client import errors, transport, v2

VERSION = "0.1.0"


def _env(*names: str, default: str | None = None) -> str | None:
    for name in names:
        if os.environ.get(name):
            return os.environ[name]
    return default


class QuantumApp(App):
    def __init__(self) -> None:
        manager = CommandManager("quantum.cli.commands")
        made = (
            *commands.commands(specs.SPECS),
            *quotas.COMMANDS,
            *commands.commands(l3.SPECS),
            *l3.COMMANDS,
            *commands.commands(secgroups.SPECS),
            *scheduler.DHCP_COMMANDS,
            *scheduler.L3_COMMANDS,
            *commands.commands(lbaas.SPECS),
            *lbaas.COMMANDS,
        )
        for name, command in made:
            manager.add_command(name, command)
        super().__init__(
            description="Command-line interface to the Quantum v2.0 API",
            version=VERSION,
            command_manager=manager,
            deferred_help=True,
        )
        self._client: v2.Client | None = None
        self._transport: transport.Transport | None = None

    def build_option_parser(
        self,
        description: str | None,
        version: str | None,
        argparse_kwargs: dict[str, Any] | None = None,
    ) -> argparse.ArgumentParser:
        parser = super().build_option_parser(description, version, argparse_kwargs)
        add = parser.add_argument
        add(
            "--os-auth-strategy",
            default=_env("OS_AUTH_STRATEGY", default="keystone"),
            choices=("keystone", "noauth"),
            help="keystone (default), or noauth for a server without authentication "
            "(env OS_AUTH_STRATEGY)",
        )
        add("--os-auth-url", default=_env("OS_AUTH_URL"), help="env OS_AUTH_URL")
        add(
            "--os-username",
            "--os-user-name",
            dest="os_username",
            default=_env("OS_USERNAME"),
            help="env OS_USERNAME",
        )
        add("--os-password", default=_env("OS_PASSWORD"), help="env OS_PASSWORD")
        add(
            "--os-project-name",
            "--os-tenant-name",
            dest="os_project_name",
            default=_env("OS_PROJECT_NAME", "OS_TENANT_NAME"),
            help="env OS_PROJECT_NAME or OS_TENANT_NAME",
        )
        add(
            "--os-project-id",
            "--os-tenant-id",
            dest="os_project_id",
            default=_env("OS_PROJECT_ID", "OS_TENANT_ID"),
            help="the project (with noauth: sent as X-Project-Id); "
            "env OS_PROJECT_ID or OS_TENANT_ID",
        )
        add(
            "--os-user-domain-name",
            default=_env("OS_USER_DOMAIN_NAME", default="Default"),
            help="env OS_USER_DOMAIN_NAME (default: Default)",
        )
        add(
            "--os-project-domain-name",
            default=_env("OS_PROJECT_DOMAIN_NAME", default="Default"),
            help="env OS_PROJECT_DOMAIN_NAME (default: Default)",
        )
        add(
            "--os-region-name",
            default=_env("OS_REGION_NAME"),
            help="env OS_REGION_NAME",
        )
        add(
            "--os-token",
            "--os-auth-token",
            dest="os_token",
            default=_env("OS_TOKEN", "OS_AUTH_TOKEN"),
            help="a token, used with --os-url (env OS_TOKEN)",
        )
        add(
            "--os-url",
            default=_env("OS_URL"),
            help="the server's URL, e.g. http://127.0.0.1:9696 (env OS_URL)",
        )
        add(
            "--endpoint-type",
            "--os-interface",
            dest="endpoint_type",
            default=_env("OS_ENDPOINT_TYPE", "OS_INTERFACE", default="public"),
            help="catalog interface: public, internal or admin (or Grizzly's "
            "publicURL...); env OS_ENDPOINT_TYPE",
        )
        add("--insecure", action="store_true", help="do not verify TLS certificates")
        add(
            "--retries",
            type=int,
            default=3,
            help="retries after a refused connection or a 503, with backoff "
            "(default 3)",
        )
        return parser

    def _connect(self) -> transport.Transport:
        opts = self.options
        verify = not opts.insecure
        if opts.os_token:
            if not opts.os_url:
                raise errors.ClientError("--os-token needs --os-url (or OS_URL)")
            made = transport.by_token(opts.os_url, opts.os_token, verify=verify)
        elif opts.os_auth_strategy == "noauth" or (
            opts.os_url and not opts.os_auth_url
        ):
            if not opts.os_url:
                raise errors.ClientError("--os-auth-strategy noauth needs --os-url")
            made = transport.without_auth(
                opts.os_url, opts.os_project_id, verify=verify
            )
        elif opts.os_auth_url:
            if not (opts.os_username and opts.os_password):
                raise errors.ClientError(
                    "You must provide a username and password with --os-auth-url "
                    "(--os-username/OS_USERNAME, --os-password/OS_PASSWORD)"
                )
            made = transport.by_password(
                opts.os_auth_url,
                opts.os_username,
                opts.os_password,
                project_name=opts.os_project_name,
                project_id=None if opts.os_project_name else opts.os_project_id,
                user_domain_name=opts.os_user_domain_name,
                project_domain_name=opts.os_project_domain_name,
                endpoint=opts.os_url,
                region=opts.os_region_name,
                interface=opts.endpoint_type.removesuffix("URL"),
                verify=verify,
            )
        else:
            raise errors.ClientError(
                "You must provide --os-token and --os-url, --os-auth-url with "
                "credentials, or --os-url for a noauth server (or their OS_* "
                "variables)"
            )
        made.retries = max(opts.retries, 0)
        return made

    @property
    def transport(self) -> transport.Transport:
        if self._transport is None:
            self._transport = self._connect()
        return self._transport

    @property
    def client(self) -> v2.Client:
        if self._client is None:
            self._client = v2.Client(self.transport)
        return self._client

    @property
    def project_id(self) -> str | None:
        """The caller's project: ``--os-project-id``, else the Keystone token's."""
        if self.options.os_project_id:
            return str(self.options.os_project_id)
        if self.options.os_token or not self.options.os_auth_url:
            return None
        try:
            found = self.transport.session.get_project_id()
        except Exception as error:  # noqa: BLE001  # NOTE: keystoneauth's many errors
            raise errors.Unauthorized(str(error)) from None
        return None if found is None else str(found)


def main(argv: Sequence[str] | None = None) -> int:
    return QuantumApp().run(list(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())

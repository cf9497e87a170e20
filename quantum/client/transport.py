# SPDX-License-Identifier: Apache-2.0
"""How the client reaches the server: a keystoneauth session and its retries.

Three ways in, one ``Transport``:

* ``keystone``: a password (or any keystoneauth plugin); the endpoint comes from
  the catalog (service type ``network``) unless ``endpoint`` overrides it;
* ``token``: a token and the endpoint URL, no identity service asked;
* ``noauth``: the endpoint URL and, optionally, the project sent as ``X-Project-Id``
  (a server with ``auth_strategy = noauth`` takes it as the caller's tenant).

Connection errors and 503 answers are retried ``retries`` times with exponential
backoff (keystoneauth's: 0.5 s, doubling; ``retry_delay`` fixes it instead). A
retried POST is safe on 503 (the server did nothing) and on a refused connection.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import noauth, session, token_endpoint
from keystoneauth1.identity import generic

from quantum.client import errors

USER_AGENT = "quantum-client"
RETRIABLE = [503]


@dataclass
class Transport:
    session: session.Session
    endpoint: str | None = None
    """Overrides the catalog; required unless the session's auth has a catalog."""
    headers: dict[str, str] = field(default_factory=dict)
    retries: int = 3
    retry_delay: float | None = None
    region: str | None = None
    interface: str = "public"

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: Mapping[str, Any] | Sequence[tuple[str, str]] | None = None,
    ) -> Any:
        """The decoded JSON answer (None for an empty one); ``ClientError`` else."""
        options: dict[str, Any] = {
            "headers": {"Accept": "application/json", **self.headers},
            "raise_exc": False,
            "connect_retries": self.retries,
            "status_code_retries": self.retries,
            "retriable_status_codes": RETRIABLE,
            "connect_retry_delay": self.retry_delay,
            "status_code_retry_delay": self.retry_delay,
            "endpoint_filter": {
                "service_type": "network",
                "interface": self.interface,
                "region_name": self.region,
            },
        }
        if self.endpoint is not None:
            options["endpoint_override"] = self.endpoint.rstrip("/")
        if params:
            options["params"] = params
        if body is not None:
            options["json"] = body
        try:
            answer = self.session.request(path, method, **options)
        except ks_exc.ConnectFailure as error:
            raise errors.ConnectionFailed(f"Unable to connect: {error}") from None
        except ks_exc.EndpointNotFound as error:
            raise errors.ConnectionFailed(str(error)) from None
        except ks_exc.Unauthorized as error:
            raise errors.Unauthorized(str(error), status=401) from None
        except ks_exc.ClientException as error:
            raise errors.ClientError(str(error)) from None
        if answer.status_code >= 400:
            raise errors.from_response(
                answer.status_code, answer.reason or "", answer.content
            )
        if not answer.content:
            return None
        try:
            return json.loads(answer.content)
        except ValueError:
            raise errors.ClientError(
                f"not JSON: {answer.content[:200]!r}", status=answer.status_code
            ) from None


def _session(auth: Any, timeout: float | None, verify: bool) -> session.Session:
    return session.Session(
        auth=auth, timeout=timeout, verify=verify, user_agent=USER_AGENT
    )


def by_token(
    endpoint: str, token: str, *, timeout: float | None = 30.0, verify: bool = True
) -> Transport:
    auth = token_endpoint.Token(endpoint, token)
    return Transport(_session(auth, timeout, verify), endpoint=endpoint)


def without_auth(
    endpoint: str,
    project_id: str | None = None,
    *,
    timeout: float | None = 30.0,
    verify: bool = True,
) -> Transport:
    headers = {"X-Project-Id": project_id} if project_id else {}
    auth = noauth.NoAuth()
    return Transport(
        _session(auth, timeout, verify), endpoint=endpoint, headers=headers
    )


def by_password(
    auth_url: str,
    username: str,
    password: str,
    *,
    project_name: str | None = None,
    project_id: str | None = None,
    user_domain_name: str | None = None,
    project_domain_name: str | None = None,
    endpoint: str | None = None,
    region: str | None = None,
    interface: str = "public",
    timeout: float | None = 30.0,
    verify: bool = True,
) -> Transport:
    """Keystone (v3, or whatever ``auth_url`` offers) with a password."""
    auth = generic.Password(
        auth_url=auth_url,
        username=username,
        password=password,
        project_name=project_name,
        project_id=project_id,
        user_domain_name=user_domain_name,
        project_domain_name=project_domain_name,
    )
    return Transport(
        _session(auth, timeout, verify),
        endpoint=endpoint,
        region=region,
        interface=interface,
    )

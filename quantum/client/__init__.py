# SPDX-License-Identifier: Apache-2.0
"""The client library: the v2.0 and v1.1 APIs as calls, errors as exceptions.

    from quantum.client import transport, v2
    client = v2.Client(transport.without_auth("http://127.0.0.1:9696", "demo"))
    net = client.networks.create(name="web")
    for port in client.ports.list(network_id=net["id"]):
        ...

``transport`` makes the connection (Keystone password, token + URL, or noauth),
``v2.Client`` / ``v1.Client`` make the calls, ``errors`` holds what they raise.
"""

# SPDX-License-Identifier: Apache-2.0
from setuptools import find_packages, setup

setup(
    name="quantum",
    version="0.1.0",
    description=(
        "Network connectivity as a service: virtual networks, ports and attachments"
    ),
    long_description=open("README.md", encoding="utf-8").read(),  # noqa: SIM115
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["quantum", "quantum.*"]),
    package_data={
        "quantum.db": ["migrations/*.mako", "migrations/versions/*.py"],
        "quantum.dashboard": ["static/*"],
    },
    include_package_data=True,
    install_requires=[
        "WebOb>=1.8,<2",
        "Routes>=2.5,<3",
        "PasteDeploy>=3,<4",
        "Paste>=3.5,<4",
        "SQLAlchemy>=2.0,<2.2",
        "alembic>=1.13,<2",
        "eventlet>=0.36",
        "oslo.config>=9,<11",
        "oslo.policy>=4.4,<7",
        "keystonemiddleware>=10,<14",
        "defusedxml>=0.7,<1",
        "os-ken>=4.2,<5",
        "ovsdbapp>=3.0,<4",
        "ovs>=3.1,<5",
        "cryptography>=42",
        "keystoneauth1>=5,<6",
        "cliff>=4,<5",
        "rich>=13",
        "orjson>=3.9,<4",
    ],
    extras_require={
        "postgresql": ["psycopg2-binary>=2.9"],
        "mysql": ["PyMySQL>=1.1"],
    },
    entry_points={
        "console_scripts": [
            "quantum = quantum.cli.app:main",
            "quantum-server = quantum.server:main",
            "quantum-dashboard = quantum.dashboard.main:main",
            "quantum-db-manage = quantum.db.manage:main",
            "quantum-vif = quantum.compute.cli:main",
            "quantum-openvswitch-agent = quantum.agent.ovs.main:main",
            "quantum-dhcp-agent = quantum.agent.dhcp.main:main",
            "quantum-l3-agent = quantum.agent.l3.main:main",
        ],
        "paste.app_factory": [
            "versions = quantum.api.app:versions_factory",
            "api_v1_0 = quantum.api.app:api_v10_factory",
            "api_v1_1 = quantum.api.app:api_v11_factory",
        ],
        "paste.filter_factory": [
            "request_id = quantum.api.app:request_id_factory",
            "extensions = quantum.api.app:extensions_factory",
        ],
        "oslo.config.opts": [
            "quantum = quantum.core.settings:list_opts",
            "quantum.openvswitch = quantum.plugins.openvswitch.config:list_opts",
        ],
        "quantum.core_plugins": [
            "fake = quantum.plugins.fake:FakePlugin",
            "openvswitch = quantum.plugins.openvswitch.plugin:OpenVSwitchPlugin",
            "sql = quantum.plugins.sql:SqlPlugin",
        ],
    },
)

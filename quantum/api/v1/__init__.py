# SPDX-License-Identifier: Apache-2.0
"""The v1.0 / v1.1 API: tenants in the URL, networks, ports and attachments."""

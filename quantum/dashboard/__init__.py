# SPDX-License-Identifier: Apache-2.0
"""The web dashboard: a static single-page app and a proxy to the public v2.0 API."""

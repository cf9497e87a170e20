# SPDX-License-Identifier: Apache-2.0
"""One module per v2 resource: its attribute spec, its view, its plugin calls."""

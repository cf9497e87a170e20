# SPDX-License-Identifier: Apache-2.0
"""Agents that run on hypervisors and network nodes and reconcile desired state."""

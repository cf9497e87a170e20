# SPDX-License-Identifier: Apache-2.0
"""Quantum: network connectivity as a service."""

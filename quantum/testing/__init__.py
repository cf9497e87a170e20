# SPDX-License-Identifier: Apache-2.0
"""Helpers the tests and benchmarks share: scratch databases, in-process clients."""

# SPDX-License-Identifier: Apache-2.0
"""The SQL store: the single source of truth for the logical model."""

# SPDX-License-Identifier: Apache-2.0
"""Domain types, errors and settings shared by every layer."""

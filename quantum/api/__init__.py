# SPDX-License-Identifier: Apache-2.0
"""The HTTP edge: Paste factories, wire formats, per-version views and faults."""

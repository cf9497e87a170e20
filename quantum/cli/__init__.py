# SPDX-License-Identifier: Apache-2.0
"""The ``quantum`` command: Grizzly's command names and options, on cliff."""

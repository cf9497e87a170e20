# SPDX-License-Identifier: Apache-2.0
"""Stores for the original's extensions, composed into the SQL-backed plugins; each
public method is one transaction and checks the tenant like the core model does."""

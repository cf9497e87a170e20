# SPDX-License-Identifier: Apache-2.0
"""The API extensions shipped with Quantum: one module per extension (see
``quantum.api.extension_loader`` for the rules a module follows)."""

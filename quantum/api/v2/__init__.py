# SPDX-License-Identifier: Apache-2.0
"""The v2.0 API: resources declared as data, one generic controller serving them."""

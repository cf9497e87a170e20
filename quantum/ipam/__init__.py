# SPDX-License-Identifier: Apache-2.0
"""IP address management: pure allocation (allocate), request types (requests),
wire converters (convert) and the store (store)."""

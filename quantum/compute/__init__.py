# SPDX-License-Identifier: Apache-2.0
"""What the compute service does on a hypervisor: plug and unplug VIFs."""

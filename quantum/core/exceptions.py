# SPDX-License-Identifier: Apache-2.0
"""The one error hierarchy.

Plugins, the store and agents raise these; only ``quantum.api.faults`` (the error
registry) knows how each family shows in each fault dialect. Each class carries a
``template`` formatted from its typed fields; that text is the fault's ``detail`` on
the wire, so the v1 templates are wire literals and must not be reworded.
"""

from __future__ import annotations

from typing import ClassVar


class QuantumError(Exception):
    """Base of every error Quantum raises on purpose."""

    template: ClassVar[str] = "An unknown error occurred."

    def __init__(self, **fields: object) -> None:
        self.fields = fields
        try:
            message = self.template.format(**fields)
        except (KeyError, IndexError):
            message = self.template
        super().__init__(message)

    @property
    def detail(self) -> str:
        return str(self)


class NotFound(QuantumError):
    """The addressed resource does not exist (or is not the caller's)."""


class Conflict(QuantumError):
    """The request contradicts the current state of a resource."""


class InUse(Conflict):
    """The resource cannot change or go while something uses it."""


class BadRequest(QuantumError):
    """The request itself is invalid, whatever the state."""


class ServiceUnavailable(QuantumError):
    """A dependency (the database) cannot be reached; retrying may succeed."""

    template = "The service is temporarily unavailable: {reason}"


class ConfigError(QuantumError):
    """The configuration cannot be used; raised at start-up, never per request."""

    template = "{reason}"


class NetworkNotFound(NotFound):
    template = "Network {net_id} could not be found"


class PortNotFound(NotFound):
    template = "Port {port_id} could not be found on network {net_id}"


class StateInvalid(BadRequest):
    template = "Unsupported port state: {port_state}"


class NetworkInUse(InUse):
    template = (
        "Unable to complete operation on network {net_id}. "
        "There is one or more attachments plugged into its ports."
    )


class PortInUse(InUse):
    # NOTE: the missing closing quote after {att_id} is the original wire literal.
    template = (
        "Unable to complete operation on port {port_id} for network {net_id}. "
        "The attachment '{att_id}is plugged into the logical port."
    )


class AlreadyAttached(Conflict):
    template = (
        "Unable to plug the attachment {att_id} into port {port_id} for network "
        "{net_id}. The attachment is already plugged into port {att_port_id}"
    )


class AttachedToAnotherTenant(AlreadyAttached):
    """AlreadyAttached when the holding port is another tenant's: the refusal
    stands (attachment ids are unique service-wide), the holder is not named."""

    template = (
        "Unable to plug the attachment {att_id} into port {port_id} for network "
        "{net_id}. The attachment is already plugged into a port of another tenant"
    )


class NoNetworkAvailable(ServiceUnavailable):
    """Every segment id of the tenant network type is in use; deleting a network
    frees one, and so does widening the configured range."""

    template = (
        "Unable to create the network. No {network_type} segment is available: "
        "all ids in {ranges} are in use."
    )


class InvalidInput(BadRequest):
    """A field has a wrong type, length or value."""

    template = "Invalid input: {reason}"


# -- v2 ---------------------------------------------------------------------------


class NotAuthorized(QuantumError):
    """The caller may not do this (403)."""

    template = "Not authorized: {reason}"


class PolicyNotAuthorized(NotAuthorized):
    template = "Policy doesn't allow {action} to be performed."


class PortNotFoundV2(NotFound):
    template = "Port {port_id} could not be found."


class AgentNotFound(NotFound):
    template = "Agent {agent_id} could not be found"


class MarkerNotFound(NotFound):
    template = "Marker {marker} could not be found."


class NetworkHasPorts(InUse):
    template = (
        "Unable to complete operation on network {net_id}. "
        "There are one or more ports still in use on the network."
    )


class MacAddressInUse(InUse):
    template = (
        "Unable to complete operation for network {net_id}. "
        "The mac address {mac} is in use."
    )


class MacAddressGenerationFailure(ServiceUnavailable):
    template = "Unable to generate unique mac on network {net_id}."


class InvalidSharedSetting(Conflict):
    template = (
        "Unable to reconfigure sharing settings for network {network}. "
        "Multiple tenants are using it."
    )


class SegmentInUse(InUse):
    template = (
        "Unable to create the network. The {network_type} segment {segment} is in use."
    )


class OverQuota(Conflict):
    template = "Quota exceeded for resources: {overs}."


class QuotaBelowUsage(BadRequest):
    """A limit set with ``check_limit`` is below what the tenant already owns."""

    template = (
        "Quota limit {limit} for {resource} is below its current usage of {used}."
    )


class BodyTooLarge(BadRequest):
    """The request body is over ``max_request_body_size`` (413)."""

    template = "Request body is larger than {limit} bytes."


# -- subnets and IP address management (v2) -------------------------------------------


class SubnetNotFound(NotFound):
    template = "Subnet {subnet_id} could not be found"


class L3PortInUse(InUse):
    template = (
        "Port {port_id} has owner {device_owner} and therefore cannot be deleted "
        "directly via the port API."
    )


class SubnetInUse(InUse):
    template = (
        "Unable to complete operation on subnet {subnet_id}. "
        "One or more ports have an IP allocation from this subnet."
    )


class IpAddressInUse(InUse):
    template = (
        "Unable to complete operation for network {net_id}. "
        "The IP address {ip_address} is in use."
    )


class IpAddressGenerationFailure(Conflict):
    template = "No more IP addresses available on network {net_id}."


class InvalidAllocationPool(BadRequest):
    template = "The allocation pool {pool} is not valid: {reason}"


class OutOfBoundsAllocationPool(BadRequest):
    template = (
        "The allocation pool {pool} spans beyond the host addresses of the subnet "
        "cidr {cidr}."
    )


class OverlappingAllocationPools(Conflict):
    template = (
        "Found overlapping allocation pools {pool_1} and {pool_2} for subnet {cidr}."
    )


class GatewayConflictWithAllocationPools(Conflict):
    template = "Gateway ip {ip_address} conflicts with allocation pool {pool}"


class DNSNameServersExhausted(BadRequest):
    template = (
        "Unable to complete operation for {subnet_id}. The number of DNS "
        "nameservers exceeds the limit {quota}."
    )


class HostRoutesExhausted(BadRequest):
    template = (
        "Unable to complete operation for {subnet_id}. The number of host routes "
        "exceeds the limit {quota}."
    )


# -- the original's extensions ----------------------------------------------------


class QosNotFound(NotFound):
    template = "QoS {qos_id} could not be found"


class PortProfileNotFound(NotFound):
    template = "Port profile {profile_id} could not be found"


class PortProfileInUse(InUse):
    template = "Port profile {profile_id} is associated with ports"


class CredentialNotFound(NotFound):
    template = "Credential {credential_id} could not be found"


class InstancePortNotFound(NotFound):
    template = "No port of instance {instance_id} is associated with {vif_id}"

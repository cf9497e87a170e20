# SPDX-License-Identifier: Apache-2.0
"""The one error hierarchy.

Plugins, the store and agents raise these; only ``quantum.api.faults`` (the error
registry) knows how each family shows in each fault dialect. Each class carries a
``template`` formatted from its typed fields; that text is the fault's ``detail`` on
the wire, so the v1 templates are wire literals and must not be reworded.
"""

from __future__ import annotations

from quantum.core.families import (
    BadRequest as BadRequest,
)
from quantum.core.families import (
    ConfigError as ConfigError,
)
from quantum.core.families import (
    Conflict as Conflict,
)
from quantum.core.families import (
    DependencyUnavailable as DependencyUnavailable,
)
from quantum.core.families import (
    InUse as InUse,
)
from quantum.core.families import (
    NotFound as NotFound,
)
from quantum.core.families import (
    QuantumError as QuantumError,
)
from quantum.core.families import (
    ServiceUnavailable as ServiceUnavailable,
)


class NetworkNotFound(NotFound):
    template = "Network {network_id} could not be found"

    network_id: str


class TagNotFound(NotFound):
    template = "Tag {tag} could not be found for {resource} {resource_id}"

    tag: str
    resource: str
    resource_id: str


class PortNotFound(NotFound):
    """No port with this id (that the caller may see)."""

    template = "Port {port_id} could not be found."

    port_id: str


class PortNotFoundOnNetwork(PortNotFound):
    """No port with this id on the network the request named (v1's URLs)."""

    template = "Port {port_id} could not be found on network {network_id}"

    network_id: str


class StateInvalid(BadRequest):
    template = "Unsupported port state: {port_state}"

    port_state: object


class NetworkInUse(InUse):
    template = (
        "Unable to complete operation on network {network_id}. "
        "There is one or more attachments plugged into its ports."
    )

    network_id: str


class PortInUse(InUse):
    # NOTE: the missing closing quote after {attachment_id} is the original wire
    # literal.
    template = (
        "Unable to complete operation on port {port_id} for network {network_id}. "
        "The attachment '{attachment_id}is plugged into the logical port."
    )

    port_id: str
    network_id: str
    attachment_id: str | None


class AlreadyAttached(Conflict):
    template = (
        "Unable to plug the attachment {attachment_id} into port {port_id} for "
        "network {network_id}. The attachment is already plugged into port "
        "{attached_port_id}"
    )

    attachment_id: str
    port_id: str
    network_id: str
    attached_port_id: str


class AttachedToAnotherTenant(AlreadyAttached):
    """AlreadyAttached when the holding port is another tenant's: the refusal
    stands (attachment ids are unique service-wide), the holder is not named."""

    template = (
        "Unable to plug the attachment {attachment_id} into port {port_id} for network "
        "{network_id}. The attachment is already plugged into a port of another tenant"
    )

    attached_port_id: str = ""
    """Never shown: another tenant's port is not named."""


class NoNetworkAvailable(ServiceUnavailable):
    """Every segment id of the tenant network type is in use; deleting a network
    frees one, and so does widening the configured range."""

    template = (
        "Unable to create the network. No {network_type} segment is available: "
        "all ids in {ranges} are in use."
    )

    network_type: str
    ranges: str


class InvalidInput(BadRequest):
    """A field has a wrong type, length or value."""

    template = "Invalid input: {reason}"

    reason: str


# -- v2 ---------------------------------------------------------------------------


class NotAuthorized(QuantumError):
    """The caller may not do this (403)."""

    template = "Not authorized."


class NetworkNotOwned(NotAuthorized):
    """A subnet or port on another tenant's private network (v2 wire type
    ``NotAuthorized``)."""

    template = "Not authorized: network {network_id} belongs to another tenant"

    network_id: str


class PolicyNotAuthorized(NotAuthorized):
    template = "Policy doesn't allow {action} to be performed."

    action: str


class ResourceNotFound(NotFound):
    """An item of a resource with no not-found error of its own (v2 wire type
    ``NotFound``)."""

    template = "{resource} {resource_id} could not be found"

    resource: str
    resource_id: str


class AgentNotFound(NotFound):
    template = "Agent {agent_id} could not be found"

    agent_id: str


class MarkerNotFound(NotFound):
    template = "Marker {marker} could not be found."

    marker: str


class NetworkHasPorts(InUse):
    template = (
        "Unable to complete operation on network {network_id}. "
        "There are one or more ports still in use on the network."
    )

    network_id: str


class MacAddressInUse(InUse):
    template = (
        "Unable to complete operation for network {network_id}. "
        "The mac address {mac_address} is in use."
    )

    network_id: str
    mac_address: str


class MacAddressGenerationFailure(ServiceUnavailable):
    template = "Unable to generate unique mac on network {network_id}."

    network_id: str


class InvalidSharedSetting(Conflict):
    template = (
        "Unable to reconfigure sharing settings for network {network_id}. "
        "Multiple tenants are using it."
    )

    network_id: str


class RevisionNumberConstraintFailed(Conflict):
    """``If-Match: revision_number=N`` named another revision than the item's (v2:
    412 Precondition Failed)."""

    template = "Constrained to {expected}, but current revision is {current}"

    expected: str
    current: object


class ChangedConcurrently(Conflict):
    """Other writers kept changing a row this request updates (every retry lost)."""

    template = "The resource kept changing while this request ran; retry it."


class SegmentInUse(InUse):
    template = (
        "Unable to create the network. The {network_type} segment {segment} is in use."
    )

    network_type: str
    segment: str


class OverQuota(Conflict):
    template = "Quota exceeded for resources: {resources}."

    resources: str


class QuotaBelowUsage(BadRequest):
    """A limit set with ``check_limit`` is below what the tenant already owns."""

    template = (
        "Quota limit {limit} for {resource} is below its current usage of {used}."
    )

    limit: int
    resource: str
    used: int


class BodyTooLarge(BadRequest):
    """The request body is over ``max_request_body_size`` (413)."""

    template = "Request body is larger than {limit} bytes."

    limit: int


# -- subnets and IP address management (v2) -------------------------------------------


class SubnetNotFound(NotFound):
    template = "Subnet {subnet_id} could not be found"

    subnet_id: str


class L3PortInUse(InUse):
    template = (
        "Port {port_id} has owner {device_owner} and therefore cannot be deleted "
        "directly via the port API."
    )

    port_id: str
    device_owner: str


class SubnetInUse(InUse):
    template = (
        "Unable to complete operation on subnet {subnet_id}. "
        "One or more ports have an IP allocation from this subnet."
    )

    subnet_id: str


class IpAddressInUse(InUse):
    template = (
        "Unable to complete operation for network {network_id}. "
        "The IP address {ip_address} is in use."
    )

    network_id: str
    ip_address: str


class IpAddressGenerationFailure(Conflict):
    template = "No more IP addresses available on network {network_id}."

    network_id: str


class InvalidAllocationPool(BadRequest):
    template = "The allocation pool {pool} is not valid: {reason}"

    pool: str
    reason: str


class OutOfBoundsAllocationPool(BadRequest):
    template = (
        "The allocation pool {pool} spans beyond the host addresses of the subnet "
        "cidr {cidr}."
    )

    pool: str
    cidr: str


class OverlappingAllocationPools(Conflict):
    template = (
        "Found overlapping allocation pools {pool_1} and {pool_2} for subnet {cidr}."
    )

    pool_1: str
    pool_2: str
    cidr: str


class GatewayConflictWithAllocationPools(Conflict):
    template = "Gateway ip {ip_address} conflicts with allocation pool {pool}"

    ip_address: str
    pool: str


class DNSNameServersExhausted(BadRequest):
    template = (
        "Unable to complete operation for {subnet_id}. The number of DNS "
        "nameservers exceeds the limit {quota}."
    )

    subnet_id: str
    quota: int


class HostRoutesExhausted(BadRequest):
    template = (
        "Unable to complete operation for {subnet_id}. The number of host routes "
        "exceeds the limit {quota}."
    )

    subnet_id: str
    quota: int


# -- the original's extensions ----------------------------------------------------


class QosNotFound(NotFound):
    template = "QoS {qos_id} could not be found"

    qos_id: str


class PortProfileNotFound(NotFound):
    template = "Port profile {profile_id} could not be found"

    profile_id: str


class PortProfileInUse(InUse):
    template = "Port profile {profile_id} is associated with ports"

    profile_id: str


class CredentialNotFound(NotFound):
    template = "Credential {credential_id} could not be found"

    credential_id: str


class InstancePortNotFound(NotFound):
    template = "No port of instance {instance_id} is associated with {vif_id}"

    instance_id: str
    vif_id: str


# -- routers and floating IPs (spec §5.2, §5.3) -----------------------------------


class RouterNotFound(NotFound):
    template = "Router {router_id} could not be found"

    router_id: str


class RouterInUse(InUse):
    template = "Router {router_id} still has ports"

    router_id: str


class RouterInUseByFloatingIP(RouterInUse):
    """A floating IP is associated through the router (v2 wire type
    ``RouterInUse``)."""

    template = "Router {router_id} still has floating IPs associated through it"


class RouterInterfaceNotFound(NotFound):
    template = "Router {router_id} does not have an interface with id {port_id}"

    router_id: str
    port_id: str


class RouterInterfaceNotFoundForSubnet(NotFound):
    template = "Router {router_id} has no interface on subnet {subnet_id}"

    router_id: str
    subnet_id: str


class RouterInterfaceInUseByFloatingIP(InUse):
    template = (
        "Router interface for subnet {subnet_id} on router {router_id} cannot be "
        "deleted, as it is required by one or more floating IPs."
    )

    router_id: str
    subnet_id: str


class RouterInterfaceInUseByRoute(InUse):
    template = (
        "Router interface for subnet {subnet_id} on router {router_id} cannot be "
        "deleted, as it is required by one or more routes."
    )

    router_id: str
    subnet_id: str


class RouterExternalGatewayInUseByFloatingIp(InUse):
    template = (
        "Gateway cannot be updated for router {router_id}, since a gateway to "
        "external network {net_id} is required by one or more floating IPs."
    )

    router_id: str
    net_id: str


class PortDeviceInUse(InUse):
    """A port given to a router already belongs to a device (v2 wire type
    ``PortInUse``)."""

    template = (
        "Unable to complete operation on port {port_id} for network {network_id}. "
        "Port already has an attached device {device_id}."
    )

    port_id: str
    network_id: str
    device_id: str


class SubnetMismatchForPort(Conflict):
    template = (
        "Subnet on port {port_id} does not match the requested subnet {subnet_id}"
    )

    port_id: str
    subnet_id: str


class ExternalNetworkInUse(InUse):
    template = (
        "External network {net_id} cannot be updated to be no longer external, "
        "since it has existing gateway ports"
    )

    net_id: str


class FloatingIPNotFound(NotFound):
    template = "Floating IP {floatingip_id} could not be found"

    floatingip_id: str


class ExternalGatewayForFloatingIPNotFound(NotFound):
    template = (
        "External network {external_network_id} is not reachable from subnet "
        "{subnet_id}.  Therefore, cannot associate Port {port_id} with a "
        "Floating IP."
    )

    external_network_id: str
    subnet_id: str
    port_id: str


class FloatingIPPortAlreadyAssociated(InUse):
    template = (
        "Cannot associate floating IP {floating_ip_address} ({fip_id}) with port "
        "{port_id} using fixed IP {fixed_ip}, as that fixed IP already has a "
        "floating IP on external network {net_id}."
    )

    floating_ip_address: str
    fip_id: str
    port_id: str
    fixed_ip: str
    net_id: str


class FloatingIPAssociatedConcurrently(InUse):
    """Another request associated the floating IP after this one read it (v2 wire
    type ``FloatingIPPortAlreadyAssociated``, the spec's fault for an association
    that cannot be made)."""

    template = (
        "Cannot associate floating IP {floating_ip_address} ({fip_id}) with port "
        "{port_id}: another request changed its association while this one ran "
        "(now: {current}). Read it again and repeat the request to move it."
    )

    floating_ip_address: str
    fip_id: str
    port_id: str
    current: str
    """``port <id>``, or ``none`` when it was disassociated."""


class RoutesExhausted(BadRequest):
    template = (
        "Unable to complete operation for {router_id}. The number of routes "
        "exceeds the maximum {quota}."
    )

    router_id: str
    quota: int


# -- DHCP agent scheduler (spec §5.9) ------------------------------------------------


class InvalidDHCPAgent(NotFound):
    template = "Agent {agent_id} is not a valid DHCP Agent or has been disabled"

    agent_id: str


class NetworkHostedByDHCPAgent(Conflict):
    template = (
        "The network {network_id} has been already hosted by the DHCP Agent {agent_id}."
    )

    network_id: str
    agent_id: str


class NetworkNotHostedByDhcpAgent(Conflict):
    template = "The network {network_id} is not hosted by the DHCP agent {agent_id}."

    network_id: str
    agent_id: str


# -- security groups and port security (spec §5.5) ------------------------------------


class SecurityGroupNotFound(NotFound):
    template = "Security group {id} does not exist"

    id: str


class SecurityGroupRuleNotFound(NotFound):
    template = "Security group rule {id} does not exist"

    id: str


class SecurityGroupInUse(InUse):
    """A port is in the group."""

    template = "Security Group {id} in use."

    id: str


class SecurityGroupCannotRemoveDefault(InUse):
    template = "Insufficient rights for removing default security group."


class SecurityGroupCannotUpdateDefault(InUse):
    template = "Updating default security group not allowed."


class SecurityGroupDefaultAlreadyExists(InUse):
    template = "Default security group already exists."


class SecurityGroupRuleExists(InUse):
    template = "Security group rule already exists. Rule id is {rule_id}."

    rule_id: str


class DuplicateSecurityGroupRuleInPost(InUse):
    template = "Duplicate Security Group Rule in POST."


class SecurityGroupNotSingleGroupRules(BadRequest):
    template = "Only allowed to update rules for one security profile at a time"


class SecurityGroupRemoteGroupAndRemoteIpPrefix(BadRequest):
    template = "Only remote_ip_prefix or remote_group_id may be provided."


class SecurityGroupRuleParameterConflict(BadRequest):
    template = "Conflicting value ethertype {ethertype} for CIDR {cidr}"

    ethertype: str
    cidr: str


class SecurityGroupRuleInvalidProtocol(BadRequest):
    template = (
        "Security group rule protocol {protocol} not supported. Only protocol "
        "values {choices} and integer representations [0 to 255] are supported."
    )

    protocol: str
    choices: str


class SecurityGroupProtocolRequiredWithPorts(BadRequest):
    template = "Must also specify protocol if port range is given."


class SecurityGroupInvalidPortRange(BadRequest):
    template = "For TCP/UDP protocols, port_range_min must be <= port_range_max"


class SecurityGroupInvalidPortValue(BadRequest):
    template = "Invalid value for port {port}"

    port: int | None


class SecurityGroupInvalidIcmpValue(BadRequest):
    template = (
        "Invalid value for ICMP {field} (type or code) {value}. It must be 0 to 255."
    )

    field: str
    value: int


class SecurityGroupMissingIcmpType(BadRequest):
    template = (
        "ICMP code (port-range-max) {value} is provided but ICMP type "
        "(port-range-min) is missing."
    )

    value: int | None


class PortSecurityPortHasSecurityGroup(InUse):
    """A port in a group cannot turn port security off (nor join one while off)."""

    template = (
        "Port has security group associated. Cannot disable port security or ip "
        "address until security group is removed"
    )


class AddressPairAndPortSecurityRequired(Conflict):
    template = (
        "Port Security must be enabled in order to have allowed address pairs on a "
        "port."
    )


class DuplicateAddressPairInRequest(BadRequest):
    template = (
        "Request contains duplicate address pair: mac_address {mac_address} "
        "ip_address {ip_address}."
    )

    mac_address: str
    ip_address: str


class AllowedAddressPairExhausted(BadRequest):
    template = "The number of allowed address pair exceeds the maximum {quota}."

    quota: int


# -- L3 agent scheduling (spec §5.9) ---------------------------------------------------


class InvalidL3Agent(NotFound):
    template = "Agent {agent_id} is not a L3 Agent or has been disabled"

    agent_id: str


class RouterHostedByL3Agent(Conflict):
    template = (
        "The router {router_id} has been already hosted by the L3 Agent {agent_id}."
    )

    router_id: str
    agent_id: str


class RouterSchedulingFailed(Conflict):
    template = "Failed scheduling router {router_id} to the L3 Agent {agent_id}."

    router_id: str
    agent_id: str


class RouterNotHostedByL3Agent(Conflict):
    template = "The router {router_id} is not hosted by L3 agent {agent_id}."

    router_id: str
    agent_id: str


# -- load balancing (spec §5.10) -----------------------------------------------------


class VipNotFound(NotFound):
    template = "Vip {vip_id} could not be found"

    vip_id: str


class PoolNotFound(NotFound):
    template = "Pool {pool_id} could not be found"

    pool_id: str


class MemberNotFound(NotFound):
    template = "Member {member_id} could not be found"

    member_id: str


class HealthMonitorNotFound(NotFound):
    template = "Health_monitor {monitor_id} could not be found"

    monitor_id: str


class PoolMonitorAssociationNotFound(NotFound):
    template = "Monitor {monitor_id} is not associated with Pool {pool_id}"

    monitor_id: str
    pool_id: str


class PoolMonitorAssociationExists(Conflict):
    template = "health_monitor {monitor_id} is already associated with pool {pool_id}"

    monitor_id: str
    pool_id: str


class VipExists(Conflict):
    """A pool has one VIP (spec §7 quirk: the original's unique key gave 500)."""

    template = "Another Vip already exists for pool {pool_id}"

    pool_id: str


class PoolInUse(InUse):
    template = "Pool {pool_id} is still in use"

    pool_id: str


class ProtocolMismatch(BadRequest):
    template = "Protocol {vip_proto} does not match pool protocol {pool_proto}"

    vip_proto: str
    pool_proto: str


class PoolNotOwned(NotAuthorized):
    """A VIP (of an administrator's making) for one tenant over another's pool."""

    template = "Pool {pool_id} belongs to another tenant than the vip"

    pool_id: str


class LoadBalancerStateInvalid(Conflict):
    template = "Invalid state {state} of loadbalancer resource {id}"

    state: str
    id: str

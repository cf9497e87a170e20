#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# busybox udhcpc's event script for the data-plane VMs: configure the NIC the way a
# guest's DHCP client does (address, MTU, classless static routes or else the
# router) and append what the server sent to $QDHCP_LEASES, one line per event.
# Touches no file but that one (no /etc/resolv.conf: it is not per namespace).
event=$1
case "$event" in
deconfig)
    ip -4 addr flush dev "$interface"
    ip link set "$interface" up
    ;;
bound|renew)
    if ! ip -4 -o addr show dev "$interface" | grep -q " $ip/$mask "; then
        ip -4 addr flush dev "$interface"
        ip addr add "$ip/$mask" dev "$interface"
    fi
    [ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
    if [ -n "$staticroutes" ]; then
        # RFC 3442: with classless routes the router option is ignored
        set -- $staticroutes
        while [ $# -ge 2 ]; do
            ip route replace "$1" via "$2" dev "$interface"
            shift 2
        done
    elif [ -n "$router" ]; then
        set -- $router
        ip route replace default via "$1" dev "$interface"
    fi
    ;;
esac
echo "event=$event ip=$ip mask=$mask router=$router dns=$dns domain=$domain" \
     "mtu=$mtu staticroutes=$staticroutes msstaticroutes=$msstaticroutes" \
     "lease=$lease serverid=$serverid message=$message" >> "$QDHCP_LEASES"

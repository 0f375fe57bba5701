# common.sh — what the script test libraries (tests/*/lib.sh) share: a veth pair between two
# network namespaces that only the calling test uses. Sourced by those lib.sh files; each keeps
# its own names, root check and cleanup (which deletes the namespaces).

# veth_pair NS1 IF1 NS2 IF2 [MTU]: namespaces NS1 and NS2 joined by a veth pair, IF1 in NS1 and
# IF2 in NS2, both up. IPv6 is off and no addresses are configured, so the kernel itself never
# sends a frame on the link: every frame on it is one the test sent, which is what lets tests
# demand exact counts.
veth_pair() {
    local mtu=() ns
    [ -z "${5:-}" ] || mtu=(mtu "$5")
    ip netns add "$1"
    ip netns add "$3"
    for ns in "$1" "$3"; do
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
            net.ipv6.conf.default.disable_ipv6=1
    done
    ip link add "$2" netns "$1" "${mtu[@]}" type veth peer name "$4" netns "$3" "${mtu[@]}"
    ip -n "$1" link set "$2" up
    ip -n "$3" link set "$4" up
}

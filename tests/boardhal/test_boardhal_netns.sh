#!/usr/bin/env bash
# hal/net "linux" in two network namespaces this script creates and removes: link events, address
# choice and DSCP (read back by the C test, and seen on the wire in a capture taken in the peer
# namespace when dumpcap and tshark are installed). All traffic stays inside the namespaces.
# Usage: test_boardhal_netns.sh BOARDHAL_NETNS_BINARY [EMULATOR ARGS...]
#   (a cross build passes its CMAKE_CROSSCOMPILING_EMULATOR, e.g. qemu-aarch64 -L /usr/aarch64-linux-gnu)
# Exit 77 (skipped) only when this machine does not permit `ip netns add`.
set -euo pipefail

probe=${1:?usage: $0 boardhal_netns [emulator args...]}
shift
emulator=("$@")
ns_a=vmport-bh-a-$$
ns_b=vmport-bh-b-$$
work=$(mktemp -d)
cap_pid=""

cleanup() {
  if [ -n "$cap_pid" ]; then kill "$cap_pid" 2>/dev/null || true; wait "$cap_pid" 2>/dev/null || true; fi
  ip netns del "$ns_a" 2>/dev/null || true
  ip netns del "$ns_b" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if ! command -v ip >/dev/null || ! ip netns add "$ns_a" 2>"$work/netns.err"; then
  echo "SKIP: cannot create a network namespace: $(cat "$work/netns.err" 2>/dev/null)"
  exit 77
fi
ip netns add "$ns_b"

ip -n "$ns_a" link set lo up
ip -n "$ns_b" link set lo up
ip -n "$ns_a" link add va0 type veth peer name vb0 netns "$ns_b"
ip -n "$ns_a" link add va1 type veth peer name vb1 netns "$ns_b"
# Keep static IPv6 addresses across an administrative down (the test takes va0 and vb0 down and up).
ip netns exec "$ns_a" sysctl -qw net.ipv6.conf.all.keep_addr_on_down=1 net.ipv6.conf.va0.keep_addr_on_down=1
ip netns exec "$ns_b" sysctl -qw net.ipv6.conf.all.keep_addr_on_down=1 net.ipv6.conf.vb0.keep_addr_on_down=1
ip -n "$ns_a" addr add 10.231.0.1/24 dev va0
ip -n "$ns_a" addr add fd31::1/64 dev va0 nodad
ip -n "$ns_a" addr add 10.231.1.1/24 dev va1
ip -n "$ns_b" addr add 10.231.0.2/24 dev vb0
ip -n "$ns_b" addr add fd31::2/64 dev vb0 nodad
ip -n "$ns_b" addr add 10.231.1.2/24 dev vb1
for l in va0 va1; do ip -n "$ns_a" link set "$l" up; done
for l in vb0 vb1; do ip -n "$ns_b" link set "$l" up; done
ip -n "$ns_a" route add default via 10.231.1.2 dev va1

have_capture=0
if command -v dumpcap >/dev/null && command -v tshark >/dev/null; then
  have_capture=1
  ip netns exec "$ns_b" dumpcap -q -i vb0 -f "udp or tcp" -w "$work/cap.pcapng" 2>"$work/dumpcap.log" &
  cap_pid=$!
  # dumpcap says "Capturing on" once it is; give it up to 5 s.
  for _ in $(seq 1 50); do
    grep -q "Capturing on" "$work/dumpcap.log" 2>/dev/null && break
    sleep 0.1
  done
  sleep 0.5
else
  echo "note: dumpcap/tshark not installed: DSCP checked with getsockopt only"
fi

status=0
ip netns exec "$ns_a" env VMPORT_NS_B="$ns_b" ${emulator[@]+"${emulator[@]}"} "$probe" || status=$?

if [ "$have_capture" = 1 ]; then
  sleep 0.5
  kill -INT "$cap_pid" 2>/dev/null || true
  wait "$cap_pid" 2>/dev/null || true
  cap_pid=""
  check() { # what, display filter, field, expected
    local got
    got=$(tshark -r "$work/cap.pcapng" -Y "$2" -T fields -e "$3" 2>/dev/null | sort -u | tr '\n' ' ')
    if [ "$got" = "$4 " ]; then
      echo "capture: $1: DSCP $4 on the wire"
    else
      echo "FAIL capture: $1: expected DSCP '$4', saw '${got}'"
      status=1
    fi
  }
  # Only what A sent: B's ICMP port-unreachable answers quote the UDP header (and have a DSCP of
  # their own).
  check "RTP over IPv4 (EF)" "ip.src == 10.231.0.1 && udp.dstport == 40000 && !icmp" ip.dsfield.dscp 46
  check "SCCP SYN over IPv4 (CS3)" "ip.src == 10.231.0.1 && tcp.dstport == 2000 && tcp.flags.syn == 1" ip.dsfield.dscp 24
  check "RTP over IPv6 (EF)" "ipv6.src == fd31::1 && udp.dstport == 40002 && !icmpv6" ipv6.tclass.dscp 46
fi
exit "$status"

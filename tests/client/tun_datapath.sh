#!/usr/bin/env bash
# Smoke test of dstm-client's TUN data path (no DSTM server): two network namespaces on a veth
# pair, IPv6 only. "tep" runs tep_responder.py (answers IPv4-in-IPv6 pings); "node" runs
# dstm-client --static-lease with the TUN backend, and pings an IPv4 address through it.
# Checks: the DTI comes up with the /32 and the route; ping works through the TUN; a packet
# from another IPv6 source is dropped and counted; a second client is refused; SIGTERM leaves
# the node's links, addresses and routes exactly as before; backend "auto" picks ip6tnl or
# falls back to the TUN on this kernel, and cleans up as well. Namespaces are removed on any exit.
# Usage: tun_datapath.sh PATH/TO/dstm-client. Prints "tun-datapath: N passed, M failed".
set -uo pipefail
client=$(realpath "$1")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
py=/usr/bin/python3
NODE=dstm-sm-node$$ TEP=dstm-sm-tep$$
N6=2001:db8:1::2 T6=2001:db8:1::a X6=2001:db8:1::66 L4=192.0.2.2 R4=198.51.100.2
work=$(mktemp -d)
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "  ok: $1"; }
bad() { failed=$((failed + 1)); echo "  FAIL: $1" >&2; }
cleanup() {
  [ -n "${client_pid:-}" ] && kill "$client_pid" 2>/dev/null && wait "$client_pid" 2>/dev/null
  [ -n "${resp_pid:-}" ] && kill "$resp_pid" 2>/dev/null && wait "$resp_pid" 2>/dev/null
  ip netns del "$NODE" 2>/dev/null; ip netns del "$TEP" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$NODE" && ip netns add "$TEP" || { echo "tun-datapath: 0 passed, 1 failed"; exit 1; }
ip -n "$NODE" link set lo up; ip -n "$TEP" link set lo up
ip link add n0 netns "$NODE" type veth peer name t0 netns "$TEP"
ip -n "$NODE" addr add $N6/64 dev n0 nodad; ip -n "$NODE" link set n0 up
ip -n "$TEP" addr add $T6/64 dev t0 nodad; ip -n "$TEP" addr add $X6/64 dev t0 nodad; ip -n "$TEP" link set t0 up

cat >"$work/client.toml" <<TOML
[server]
addresses = ["[2001:db8:53::1]"]
[auth]
anonymous = true
[node]
ipv6 = "$N6"
[dti]
backend = "tun"
name = "dstm0"
routes = ["198.51.100.0/24"]
[files]
lock = "$work/client.lock"
control_socket = "$work/client.sock"
TOML

snapshot() {
  { ip -n "$NODE" -br link; ip -n "$NODE" addr; ip -n "$NODE" route; ip -n "$NODE" -6 route; } | sed 's/ state [A-Z]*//' > "$1"
}
# Let the veth settle (carrier, link-local address past DAD) so the snapshot is of a still network.
for _ in $(seq 50); do
  ip -n "$NODE" -6 addr show dev n0 scope link | grep -q "inet6" &&
    ! ip -n "$NODE" -6 addr show dev n0 | grep -q tentative &&
    ! ip -n "$NODE" link show n0 | grep -q NO-CARRIER && break
  sleep 0.1
done
snapshot "$work/before"

ip netns exec "$TEP" $py "$here/tep_responder.py" respond $T6 >"$work/responder.log" 2>&1 &
resp_pid=$!
ip netns exec "$NODE" "$client" --config "$work/client.toml" --static-lease $L4,$T6 >"$work/client.log" 2>&1 &
client_pid=$!

for _ in $(seq 50); do ip -n "$NODE" route show dev dstm0 2>/dev/null | grep -q 198.51.100.0/24 && break; sleep 0.1; done
if ip -n "$NODE" addr show dev dstm0 2>/dev/null | grep -q "inet $L4/32" &&
   ip -n "$NODE" route show dev dstm0 | grep -q "198.51.100.0/24 .*src $L4"; then
  ok "DTI dstm0 up with $L4/32 and the route 198.51.100.0/24"
else
  bad "DTI not configured"; cat "$work/client.log" >&2
fi

got=0
for _ in $(seq 20); do
  if ip netns exec "$NODE" ping -c1 -W1 $R4 >/dev/null 2>&1; then got=1; break; fi
done
if [ $got -eq 1 ] && ip netns exec "$NODE" ping -c3 -i0.2 -W1 $R4 >"$work/ping.log" 2>&1; then
  ok "ping $R4 through the TUN and the stand-in TEP"
else
  bad "ping through the TUN"; cat "$work/ping.log" "$work/client.log" >&2
fi

status() { ip netns exec "$NODE" "$client" status -j --socket "$work/client.sock"; }
counter() { status | $py -c "import json,sys; print(json.load(sys.stdin)['dti']['counters']['$1'])"; }
out=$(counter packets_out 2>/dev/null); in=$(counter packets_in 2>/dev/null)
if [ "${out:-0}" -ge 4 ] && [ "${in:-0}" -ge 4 ]; then
  ok "status counts the pings ($out out, $in in)"
else
  bad "status counters (out=${out:-?} in=${in:-?})"
fi

ip netns exec "$TEP" $py "$here/tep_responder.py" inject $X6 $N6 $L4
sleep 0.3
forged=$(counter drop_not_from_tep 2>/dev/null); in2=$(counter packets_in 2>/dev/null)
if [ "${forged:-0}" -eq 1 ] && [ "${in2:-0}" -eq "${in:-0}" ]; then
  ok "a packet from $X6 (not the TEP) is dropped and counted"
else
  bad "forged packet: drop_not_from_tep=${forged:-?}, packets_in ${in:-?} -> ${in2:-?}"
fi

second=$(ip netns exec "$NODE" "$client" --config "$work/client.toml" --static-lease $L4,$T6 2>&1)
if [ $? -eq 1 ] && echo "$second" | grep -q "already running (PID $client_pid"; then
  ok "a second client is refused, naming PID $client_pid"
else
  bad "second client: $second"
fi

kill -TERM "$client_pid"; wait "$client_pid"; rc=$?; client_pid=
snapshot "$work/after"
if [ $rc -eq 0 ] && diff -u "$work/before" "$work/after" >&2; then
  ok "SIGTERM: exit 0, the node's links, addresses and routes are as before"
else
  bad "teardown (exit $rc)"; cat "$work/client.log" >&2
fi

# backend "auto" on this very kernel: ip6tnl if the kernel has it, else the TUN with a log line.
sed 's/^backend = "tun"/backend = "auto"/' "$work/client.toml" >"$work/auto.toml"
ip netns exec "$NODE" "$client" --config "$work/auto.toml" --static-lease $L4,$T6 >"$work/auto.log" 2>&1 &
client_pid=$!
for _ in $(seq 50); do ip -n "$NODE" route show dev dstm0 2>/dev/null | grep -q 198.51.100.0/24 && break; sleep 0.1; done
backend=$(status | $py -c "import json,sys; print(json.load(sys.stdin)['dti']['backend'])" 2>/dev/null)
if [ "$backend" = "kernel" ] || { [ "$backend" = "tun" ] && grep -q "cannot create ip6tnl links.*using the TUN backend" "$work/auto.log"; }; then
  ok "backend auto chose '$backend'$([ "$backend" = tun ] && echo " after the kernel refused ip6tnl")"
else
  bad "backend auto: '${backend:-?}'"; cat "$work/auto.log" >&2
fi
kill -TERM "$client_pid"; wait "$client_pid"; rc=$?; client_pid=
snapshot "$work/after-auto"
if [ $rc -eq 0 ] && diff -u "$work/before" "$work/after-auto" >&2; then
  ok "auto backend: SIGTERM leaves the node's network as before"
else
  bad "auto backend teardown (exit $rc)"; cat "$work/auto.log" >&2
fi

echo "tun-datapath: $passed passed, $failed failed"
[ $failed -eq 0 ]

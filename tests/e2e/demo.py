#!/usr/bin/python3
"""dstm's main job, shown: the whole DSTM system in network namespaces on this machine.

An IPv6-only node runs dstm-client; it asks dstm-server for a temporary IPv4 address over
TSP; the server writes the lease, configures the TEP through dstm-agent, which pushes the
mapping into the running DPDK dataplane through shared memory; the node's unmodified IPv4
applications (ping, nc) then reach an IPv4-only host through the DPDK TEP. Every step is
printed with the operator's view (dstmctl). Everything is removed at the end.

usage: demo.py BUILD_DIR
"""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run as e2e  # noqa: E402  (client configuration and helpers)
import topology as T  # noqa: E402


def step(text):
    print(f"\n== {text}", flush=True)


def show(result):
    out = result.stdout if hasattr(result, "stdout") else str(result)
    print("   " + out.rstrip().replace("\n", "\n   "), flush=True)


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    topo = T.Topology(build, tag=f"demo{os.getpid()}", lifetime=600)
    ok = True
    try:
        step("network namespaces: node (IPv6 only) - router - tep [DPDK t0 | t1] - v4host (IPv4 only)")
        topo.up()
        print(f"   TEP {T.T6} / {T.T4}, IPv4 host {T.H4}, node {T.C6}, pool {T.POOL}")
        step("dstm-agent (TEP control plane) and dstm-dataplane (DPDK, net_af_packet on t0/t1)")
        topo.start_agent()
        topo.start_dataplane()
        show(topo.dstmctl("show", "status"))
        step("dstm-server (pools, leases) connects to the agent over TSP")
        topo.start_server()
        show(topo.dstmctl("show", "teps", server=True))
        step("dstm-client on the node: TSP create -> lease -> TUN DTI with the leased /32")
        e2e.start_client(topo)
        if not topo.wait_ping("node", T.H4, tries=60):
            raise RuntimeError("the node could not reach the IPv4 host:\n" + topo.log("client")[-1500:])
        show(T.ns(topo.n("node"), topo.bin("controlplane/client/dstm-client"), "status", "--config",
                  os.path.join(topo.work, "client.toml")))
        step("the server's lease and the TEP's mapping")
        show(topo.dstmctl("show", "leases", server=True))
        show(topo.dstmctl("show", "mappings"))
        step(f"ping {T.H4} from the node's unmodified IPv4 stack, through the DPDK TEP")
        show(T.ns(topo.n("node"), "ping", "-c", "3", "-i", "0.2", T.H4))
        step("a 1 MiB TCP transfer with nc, node -> IPv4 host")
        ok = e2e.tcp_transfer(topo)
        print("   received intact" if ok else "   TRANSFER FAILED")
        step("the TEP's counters (dstmctl show counters)")
        show(topo.dstmctl("show", "counters"))
        step("the operator ends the lease: Tunnel Delete to the node and the TEP")
        leased = e2e.leased_ipv4(topo)
        show(topo.dstmctl("lease", "release", leased, server=True))
        T.Topology.wait(lambda: "dstm0" not in T.ns(topo.n("node"), "ip", "-br", "link").stdout, 10,
                        "the client to remove its DTI")
        print(f"   the node's DTI is gone; ping {T.H4} now fails: "
              f"{'yes' if not topo.ping('node', T.H4) else 'NO'}")
        show(topo.dstmctl("show", "mappings"))
    except Exception as e:  # noqa: BLE001
        ok = False
        print(f"\nDEMO FAILED: {e}")
    finally:
        step("tearing everything down")
        topo.down()
    print("\ndstm demo: " + ("the whole system worked end to end." if ok else "FAILED (see above)."))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

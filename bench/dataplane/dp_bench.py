#!/usr/bin/python3
"""dstm-dataplane throughput against dpdk-testpmd macswap on the same vdevs and cores.

For each traffic mix (decap, encap, mixed) and table size (1K, 1M mappings) it writes a pcap of
64-byte inner packets to random leased addresses, runs dstm-dataplane with one worker lcore fed by
one net_pcap port (infinite_rx=1, output to /dev/null), then dpdk-testpmd --forward-mode=macswap on the
same vdev for the same time, and prints Mpps and the ratio. Writes the figures as
dp.<mix>.<size>.mpps and dp.<mix>.<size>.ratio_vs_testpmd_macswap to the JSON file given.

usage: dp_bench.py DATAPLANE_BINARY RESULTS_JSON [--seconds S] [--quick]
       dp_bench.py --write-profiles DIR [--mappings N]
The second form only writes the traffic profiles (decap.pcap, encap.pcap, mixed.pcap), the
mappings file and the configuration, for Pktgen-DPDK (-s PORT:FILE.pcap) or testpmd on real NICs.
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile

from scapy.all import Ether, IP, IPv6, UDP, wrpcap
from scapy.config import conf

conf.verb = 0
TEP6, TEP4, D = "2001:db8:1::1", "198.51.100.1", "203.0.113.5"
POOL_BASE = 10 << 24          # 10.0.0.0/12: room for 1M leases
PORT_MAC, GW_MAC = "02:70:63:61:70:00", "02:00:00:00:00:fe"
EAL = ["-l", "0,1", "--no-huge", "-m", "1024", "--no-shconf", "--no-pci", "--log-level=error"]


def ipv4(n):
    return f"{n >> 24}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def node6(i):
    return f"2001:db8:100::{i >> 16:x}:{i & 0xffff:x}"


def write_inputs(work, mappings, frames=4096):
    with open(os.path.join(work, "mappings.txt"), "w") as f:
        for i in range(mappings):
            f.write(f"{ipv4(POOL_BASE + i)} {node6(i)}\n")
    rng = random.Random(1)
    payload = b"\0" * (64 - 28)  # 64-byte inner IPv4 packets
    decap, encap = [], []
    for _ in range(frames):
        i = rng.randrange(mappings)
        decap.append(Ether(src=GW_MAC, dst=PORT_MAC) / IPv6(src=node6(i), dst=TEP6, nh=4)
                     / IP(src=ipv4(POOL_BASE + i), dst=D) / UDP(sport=1, dport=2) / payload)
        encap.append(Ether(src=GW_MAC, dst=PORT_MAC) / IP(src=D, dst=ipv4(POOL_BASE + i)) / UDP(sport=2, dport=1) / payload)
    mixed = [p for pair in zip(decap, encap) for p in pair]
    for name, pkts in (("decap", decap), ("encap", encap), ("mixed", mixed)):
        wrpcap(os.path.join(work, f"{name}.pcap"), pkts)
    with open(os.path.join(work, "dstm.toml"), "w") as f:
        f.write(f"""[tep]
ipv6 = ["{TEP6}"]
ipv4 = "{TEP4}"
pools = ["10.0.0.0/12"]
[ports.ipv6]
port = 0
[ports.ipv4]
port = 0
[next_hops.ipv6]
gateway = "2001:db8:1::fe"
mac = "{GW_MAC}"
[next_hops.ipv4]
gateway = "198.51.100.254"
mac = "{GW_MAC}"
[table]
capacity = 2097152
""")


def vdevs(work, mix):
    # One port for both sides (the EtherType tells decap from encap) that replays the pcap
    # forever and writes what it sends to /dev/null: the same I/O cost for both programs.
    return ["--vdev", f"net_pcap0,rx_pcap={os.path.join(work, mix + '.pcap')},infinite_rx=1,tx_pcap=/dev/null"]


def run_dataplane(binary, work, mix, seconds):
    counters = os.path.join(work, f"counters-{mix}.json")
    args = ["timeout", "-s", "INT", str(seconds + 10), binary] + EAL + vdevs(work, mix) + \
        ["--", "--config", os.path.join(work, "dstm.toml"), "--mappings", os.path.join(work, "mappings.txt"),
         "--counters-json", counters]
    # The mappings load takes a moment; measure the forwarding time the dataplane reports.
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()  # "dstm-dataplane: N worker(s) ..." once forwarding starts
    if not line:
        raise RuntimeError("dstm-dataplane did not start: " + proc.stderr.read()[-400:])
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.send_signal(2)
        proc.wait(timeout=30)
    report = json.load(open(counters))
    c = report["counters"]
    out = c["out-ipv4-packets"] + c["out-ipv6-packets"]
    return out / report["forwarding_seconds"] / 1e6


def run_testpmd(work, mix, seconds):
    args = ["dpdk-testpmd"] + EAL + vdevs(work, mix) + \
        ["--", "-i", "--forward-mode=macswap", "--nb-cores=1", "--no-flush-rx", "--total-num-mbufs=16384",
         "--port-topology=loop"]
    script = f"(sleep 2; echo start; sleep {seconds}; echo stop; sleep 1; echo quit)"
    out = subprocess.run(["bash", "-c", script + " | " + " ".join(args)], capture_output=True, text=True,
                         timeout=seconds + 60).stdout
    tx = [int(x) for x in re.findall(r"TX-packets:\s*(\d+)", out)]
    if not tx:
        raise RuntimeError("testpmd printed no statistics")
    return max(tx) / seconds / 1e6


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "--write-profiles":
        os.makedirs(sys.argv[2], exist_ok=True)
        size = int(sys.argv[4]) if len(sys.argv) >= 5 and sys.argv[3] == "--mappings" else 1024
        write_inputs(sys.argv[2], size)
        print(f"wrote decap.pcap, encap.pcap, mixed.pcap, mappings.txt ({size}) and dstm.toml to {sys.argv[2]}")
        return 0
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("results")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="1K mappings only, 2 s runs")
    opts = parser.parse_args()
    seconds = 2 if opts.quick else opts.seconds
    sizes = [("1k", 1024)] if opts.quick else [("1k", 1024), ("1m", 1 << 20)]
    results = json.load(open(opts.results)) if os.path.exists(opts.results) else {}
    with tempfile.TemporaryDirectory(prefix="dstm-dpbench-") as work:
        baseline = {}
        for size_name, size in sizes:
            write_inputs(work, size)
            for mix in ("decap", "encap", "mixed"):
                if mix not in baseline:
                    baseline[mix] = run_testpmd(work, mix, seconds)
                ours = run_dataplane(opts.binary, work, mix, seconds)
                ratio = ours / baseline[mix]
                results[f"dp.{mix}.{size_name}.mpps"] = round(ours, 3)
                results[f"dp.{mix}.{size_name}.ratio_vs_testpmd_macswap"] = round(ratio, 3)
                print(f"  dp.{mix}.{size_name}: {ours:7.3f} Mpps   testpmd macswap {baseline[mix]:7.3f} Mpps"
                      f"   ratio {ratio:5.2f}")
    with open(opts.results, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)


if __name__ == "__main__":
    sys.exit(main())

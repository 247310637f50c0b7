"""Prints a Google Benchmark JSON report as items/s and as ratios against its peers.

Peers are named in the benchmark names: a benchmark whose name contains "Baseline" or
"RteHash" is the peer of the others with the same "/args" suffix in the same file.
"""
import json
import sys

with open(sys.argv[1]) as f:
    report = json.load(f)
rows = [b for b in report["benchmarks"] if b.get("run_type", "iteration") == "iteration"]


def suffix(name):
    return name[name.index("/"):] if "/" in name else ""


def is_peer(name):
    return "Baseline" in name or "RteHash" in name


peers = {}
for b in rows:
    if is_peer(b["name"]):
        peers.setdefault(suffix(b["name"]), b)
for b in rows:
    rate = b.get("items_per_second", 0.0)
    line = f"  {b['name']:<48} {rate / 1e6:10.3f} M items/s"
    peer = peers.get(suffix(b["name"]))
    if peer and peer is not b and peer.get("items_per_second"):
        line += f"   {rate / peer['items_per_second']:6.2f}x {peer['name'].split('/')[0]}"
    print(line)

"""Prints a Google Benchmark JSON report as items/s and as ratios against its peers.

Peers are named in the benchmark names: a benchmark whose name contains "Baseline" or
"RteHash" is the peer of the others with the same "/args" suffix in the same file.
"""
import json
import sys

with open(sys.argv[1]) as f:
    report = json.load(f)
# With --benchmark_repetitions, each case's median stands for it (run_name is the case's name);
# otherwise its single run does.
medians = [dict(b, name=b["run_name"]) for b in report["benchmarks"]
           if b.get("run_type") == "aggregate" and b.get("aggregate_name") == "median"]
rows = medians or [b for b in report["benchmarks"] if b.get("run_type", "iteration") == "iteration"]


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

# With a results file (scripts/bench): the mapping table's named figures (issue #3), merged in.
#   table.lookup.<size>.ratio_vs_rte_hash          bulk lookups, every key present
#   table.lookup.<size>.writer.ratio_vs_rte_hash   the same with a writer updating meanwhile
#   table.lookup.<size>.kept_under_writer          our readers' rate while the writer writes /
#                                                  while it only polls (the "kept" counter)
# A third argument names the figures' kind to take from this report: "ratios" (the first two) or
# "kept" (the third, from a run with repetitions); default both.
kinds = sys.argv[3].split(",") if len(sys.argv) > 3 else ["ratios", "kept"]
if len(sys.argv) > 2:
    # A /writer case's rate is the readers' rate while the writer writes.
    by_name = {b["name"]: b.get("writing_items_per_s", b.get("items_per_second", 0.0)) for b in rows}
    kept = {b["name"]: b["kept"] for b in rows if "kept" in b}
    figures = {}
    for name, rate in by_name.items():
        parts = name.split("/")
        if parts[0] != "MappingTable" or len(parts) < 3 or parts[2] != "hit100":
            continue
        size = parts[1].lower()
        writer = len(parts) > 3 and parts[3] == "writer"
        peer = by_name.get("/".join(["RteHash"] + parts[1:]))
        key = f"table.lookup.{size}" + (".writer" if writer else "")
        if peer and "ratios" in kinds:
            figures[f"{key}.ratio_vs_rte_hash"] = round(rate / peer, 2)
        if writer and "kept" in kinds and name in kept:
            figures[f"table.lookup.{size}.kept_under_writer"] = round(kept[name], 3)
    if figures:
        try:
            with open(sys.argv[2]) as f:
                results = json.load(f)
        except (OSError, ValueError):
            results = {}
        results.update(figures)
        with open(sys.argv[2], "w") as f:
            json.dump(results, f, indent=2, sort_keys=True)
        for k, v in sorted(figures.items()):
            print(f"  {k}: {v}")

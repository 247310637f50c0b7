#!/usr/bin/python3
"""Mappings through the shared-memory ring into a running dstm-dataplane (issue #4 benchmarks).

The dataplane forwards mixed traffic (64-byte inner packets, 1K mappings, net_pcap infinite_rx on
one port, output to /dev/null, one worker lcore) while tests/tools/shm_tool stands in for
dstm-agent and pushes upserts through the ring ([control] shm):

  ring.installs_per_s          upserts applied per second, up to 4096 records in flight
  ring.apply_latency_p99_us    enqueue -> applied (last_applied_sequence seen), one record at a
                               time, so it is the latency a TSP Tunnel Create waits for
  ring.apply_latency_p50_us
  ring.traffic_drops           packets the dataplane dropped meanwhile (must be 0)
  dp.resync_1m_ms              a restarted dataplane: from the new generation the agent sees to
                               a 1M-mapping snapshot applied

usage: ring_bench.py DATAPLANE_BINARY SHM_TOOL RESULTS_JSON [--quick]
(--quick: 100K installs and a 100K snapshot; the figures keep their names, the report says so)
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "dataplane"))
import dp_bench  # noqa: E402  (traffic profile and configuration, shared with the dp.* figures)

RING_SLOTS = 65536


def tool(shm_tool, *args, timeout=300):
    r = subprocess.run([shm_tool, *args], capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"shm_tool {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


def start_dataplane(binary, work, shm):
    counters = os.path.join(work, "counters.json")
    args = [binary] + dp_bench.EAL + dp_bench.vdevs(work, "mixed") + \
        ["--", "--config", os.path.join(work, "dstm.toml"), "--mappings", os.path.join(work, "mappings.txt"),
         "--counters-json", counters]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if not proc.stdout.readline():  # "dstm-dataplane: N worker(s) ..." once forwarding starts
        raise RuntimeError("dstm-dataplane did not start: " + proc.stderr.read()[-400:])
    return proc, counters


def wait_traffic(shm_tool, shm):
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if json.loads(tool(shm_tool, "stats", shm + "-stats"))["rx_packets"] > 0:
                return
        except (RuntimeError, ValueError):
            pass
        time.sleep(0.1)
    raise RuntimeError("no traffic through the dataplane within 30 s")


def stop(proc, sig=signal.SIGINT):
    proc.send_signal(sig)
    proc.wait(timeout=60)
    proc.stdout.close()
    proc.stderr.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("shm_tool")
    parser.add_argument("results")
    parser.add_argument("--quick", action="store_true")
    opts = parser.parse_args()
    installs = 100_000 if opts.quick else 786_432  # 10.2.0.0 onwards, inside the /12 pool
    resync = 100_000 if opts.quick else 1_000_000
    shm = f"/dstm-ringbench-{os.getpid()}"
    results = json.load(open(opts.results)) if os.path.exists(opts.results) else {}
    with tempfile.TemporaryDirectory(prefix="dstm-ringbench-") as work:
        dp_bench.write_inputs(work, 1024)
        with open(os.path.join(work, "dstm.toml"), "a") as f:
            f.write(f'[control]\nshm = "{shm}"\n')
        tool(opts.shm_tool, "create", shm, str(RING_SLOTS))
        proc = None
        try:
            proc, counters = start_dataplane(opts.binary, work, shm)
            wait_traffic(opts.shm_tool, shm)
            bulk = json.loads(tool(opts.shm_tool, "install", shm, str(installs), "10.2.0.0", "4096"))
            paced = json.loads(tool(opts.shm_tool, "install", shm, "20000", "10.1.0.0", "1"))
            stop(proc)
            proc = None
            report = json.load(open(counters))["counters"]
            drops = sum(v for k, v in report.items() if k.startswith("drop-") and k.endswith("-packets"))
            forwarded = report["out-ipv4-packets"] + report["out-ipv6-packets"]

            # Restart: the "agent" waits for the new generation, then replays the whole set.
            waiter = subprocess.Popen([opts.shm_tool, "resync", shm, str(resync), "10.0.0.0"],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(0.2)
            proc, _ = start_dataplane(opts.binary, work, shm)
            out, err = waiter.communicate(timeout=300)
            if waiter.returncode != 0:
                raise RuntimeError("resync: " + err.strip())
            resynced = json.loads(out)
            stats = json.loads(tool(opts.shm_tool, "stats", shm + "-stats"))
            stop(proc)
            proc = None
        finally:
            if proc is not None:
                stop(proc, signal.SIGKILL)
            for name in (shm, shm + "-stats"):
                if os.path.exists("/dev/shm" + name):
                    os.unlink("/dev/shm" + name)
    results["ring.installs_per_s"] = round(bulk["installs_per_s"])
    results["ring.apply_latency_p99_us"] = round(paced["apply_latency_p99_us"], 1)
    results["ring.apply_latency_p50_us"] = round(paced["apply_latency_p50_us"], 1)
    results["ring.traffic_drops"] = drops
    results["dp.resync_1m_ms"] = round(resynced["resync_ms"], 1)
    size = "100K" if opts.quick else "1M"
    print(f"  ring.installs_per_s: {bulk['installs_per_s']:,.0f} ({installs} upserts, 4096 in flight; "
          f"queued latency p99 {bulk['apply_latency_p99_us']:.0f} us)   target >= 1,000,000")
    print(f"  ring.apply_latency_p99_us: {paced['apply_latency_p99_us']:.1f} (p50 {paced['apply_latency_p50_us']:.1f}, "
          f"one record at a time)   target <= 100")
    print(f"  ring.traffic_drops: {drops} of {forwarded + drops} packets forwarded meanwhile   target 0")
    print(f"  dp.resync_1m_ms: {resynced['resync_ms']:.1f} ({size} snapshot, table {stats['mappings']} mappings after)"
          f"   target <= 1000")
    with open(opts.results, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

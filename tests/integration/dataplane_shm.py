#!/usr/bin/python3
"""Integration test: dstm-dataplane fed through the shared-memory ring ([control] shm).

shm_tool stands in for dstm-agent (it creates the segment and pushes records) and for dstmctl
(it reads the dataplane's stats segment). The dataplane runs on net_pcap ports, no hugepages.

  1. fresh start: mappings pushed before the dataplane starts are live for its first packet
     (decap as conformance case 1, encap as case 35, a deleted mapping drops), frames exact;
  2. running: the stats segment shows the counters, per-lcore blocks and status; a mapping
     pushed to the running dataplane is applied (wait) and counted; then kill -9;
  3. restart: a snapshot with a changed set is queued, the dataplane restarts with a static
     --mappings preload: the new generation, forwarding follows the snapshot only (no stale ring
     entry, the static preload replaced), the stale stats segment replaced;
  4. late agent: the dataplane starts before the agent's segment exists and keeps running; the
     segment appears, then is recreated by a "new agent": each time the dataplane attaches and
     applies the snapshot pushed there.

usage: dataplane_shm.py DATAPLANE_BINARY SHM_TOOL [--keep DIR]
The last line is "integration: N passed, M failed" (N, M count checks).
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
sys.path.insert(0, os.path.join(HERE, "..", "conformance", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from checks import Checks  # noqa: E402
import tep  # noqa: E402
from tep import IP, from_node, from_internet, to_internet, to_node, forwarded  # noqa: E402
from scapy.all import UDP, rdpcap, wrpcap  # noqa: E402
from scapy.config import conf  # noqa: E402

conf.verb = 0
EAL = ["-l", "0", "--no-huge", "-m", "256", "--no-shconf", "--no-pci", "--log-level=error"]
C6X, L4X = "2001:db8:1::99", "192.0.2.99"  # a mapping pushed, then deleted


def frames(path):
    return [bytes(p) for p in rdpcap(path)] if os.path.exists(path) and os.path.getsize(path) > 24 else []


def nonzero(counters):
    return {k[:-len("-packets")]: v for k, v in counters.items() if k.endswith("-packets") and v}


class Run:
    def __init__(self, opts, work, shm):
        self.opts, self.work, self.shm = opts, work, shm

    def tool(self, *args, check=True):
        r = subprocess.run([self.opts.shm_tool, *args], capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise RuntimeError(f"shm_tool {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
        return r

    def write(self, name, text):
        path = os.path.join(self.work, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def dataplane_args(self, tag, in6, in4, mappings=None, exit_when_idle=True, config=None):
        cfg = {"control.shm": f'"{self.shm}"', "icmp.host_unreachable": "false"}
        cfg.update(config or {})
        conf_path = self.write(f"{tag}.toml", tep.config(**cfg))
        args = [self.opts.binary] + EAL
        for index, (side, packets) in enumerate((("6", in6), ("4", in4))):
            vdev = f"net_pcap{index},"
            if packets:
                rx = os.path.join(self.work, f"{tag}-in{side}.pcap")
                wrpcap(rx, packets)
                vdev += f"rx_pcap={rx},"
            args += ["--vdev", vdev + f"tx_pcap={os.path.join(self.work, f'{tag}-out{side}.pcap')}"]
        args += ["--", "--config", conf_path, "--counters-json", os.path.join(self.work, f"{tag}-counters.json")]
        if mappings is not None:
            args += ["--mappings", self.write(f"{tag}-mappings.txt", mappings)]
        if exit_when_idle:
            args += ["--exit-when-idle", "300"]
        return args

    def run_to_idle(self, tag, in6, in4, **kw):
        r = subprocess.run(self.dataplane_args(tag, in6, in4, **kw), capture_output=True, text=True, timeout=60)
        report = {}
        path = os.path.join(self.work, f"{tag}-counters.json")
        if os.path.exists(path):
            report = json.load(open(path))
        return r, report, frames(os.path.join(self.work, f"{tag}-out6.pcap")), \
            frames(os.path.join(self.work, f"{tag}-out4.pcap"))

    def status(self):
        return json.loads(self.tool("status", self.shm).stdout)

    def stats(self):
        r = self.tool("stats", self.shm + "-stats", check=False)
        return json.loads(r.stdout) if r.returncode == 0 else None


def wait_for(predicate, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


def traffic(l4, c6):
    """Case 1 (decap C6/L4 -> D) and case 35 (encap D -> L4) for one mapping."""
    up = IP(src=l4, dst=tep.D, ttl=64, id=7) / UDP(sport=40000, dport=53) / b"query"
    down = IP(src=tep.D, dst=l4, ttl=64, tos=0x28) / UDP(sport=53, dport=40000) / b"answer"
    return from_node(up, src=c6), from_internet(down), to_internet(forwarded(up)), to_node(forwarded(down), dst=c6, tc=0x28)


def scenario(opts, work, c):
    shm = f"/dstm-itest-{os.getpid()}"
    run = Run(opts, work, shm)
    subprocess.run([opts.shm_tool, "create", shm, "1024"], check=True)
    try:
        fresh(run, c)
        running(run, c)
        restart(run, c)
        late_agent(run, c)
    finally:
        # The agent's segment is ours to remove; a killed dataplane's stats segment too.
        for name in (shm, shm + "-stats"):
            try:
                os.unlink("/dev/shm" + name)
            except FileNotFoundError:
                pass


def fresh(run, c):
    run.write("ring1.txt", f"{tep.L4} {tep.C6}\n{L4X} {C6X}\n")
    run.tool("push", run.shm, os.path.join(run.work, "ring1.txt"))
    run.write("ring2.txt", f"del {L4X}\n")
    last = int(run.tool("push", run.shm, os.path.join(run.work, "ring2.txt")).stdout)
    c.check("fresh: nothing applied before the dataplane runs", run.status()["last_applied_sequence"] == 0)
    up, down, up_out, down_out = traffic(tep.L4, tep.C6)
    spoofless, _, _, _ = traffic(L4X, C6X)
    r, report, out6, out4 = run.run_to_idle("fresh", [up, spoofless], [down])
    c.check("fresh: dataplane exits cleanly", r.returncode == 0, r.stderr[-400:])
    c.check("fresh: queued records applied before forwarding (log)", "applied 3 queued record(s)" in r.stderr, r.stderr[-400:])
    c.check("fresh: decap (case 1) follows the ring's mapping", out4 == [bytes(up_out)], f"{len(out4)} frame(s)")
    c.check("fresh: encap (case 35) follows the ring's mapping", out6 == [bytes(down_out)], f"{len(out6)} frame(s)")
    got = nonzero(report.get("counters", {}))
    want = {"in-ipv6": 2, "in-ipv4": 1, "out-ipv4": 1, "out-ipv6": 1, "drop-no-source-softwire-ipv6": 1}
    c.check("fresh: counters exact (the deleted mapping drops)", got == want, f"got {got}")
    c.check("fresh: one mapping left", report.get("mappings") == 1, f"{report.get('mappings')}")
    st = run.status()
    c.check("fresh: generation 1 and every pushed sequence applied",
            st["dataplane_generation"] == 1 and st["last_applied_sequence"] == last, f"{st}, last pushed {last}")
    c.check("fresh: wait returns at once", run.tool("wait", run.shm, "1000", check=False).returncode == 0)
    c.check("fresh: a clean exit removes the stats segment", run.stats() is None)


def running(run, c):
    # A new dataplane starts with an empty table: the agent replays its set as a snapshot (here
    # queued before the start, as an agent that noticed the generation change would send it).
    run.write("replay.txt", f"{tep.L4} {tep.C6}\n")
    run.tool("snapshot", run.shm, os.path.join(run.work, "replay.txt"))
    up, down, _, _ = traffic(tep.L4, tep.C6)
    proc = subprocess.Popen(run.dataplane_args("running", [up, up], [down], exit_when_idle=False),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stats = wait_for(lambda: (s := run.stats()) and s["counters"]["out-ipv4-packets"] == 2 and
                         s["counters"]["out-ipv6-packets"] == 1 and s)
        c.check("running: stats segment shows the forwarded packets", bool(stats), f"{run.stats()}")
        if not stats:
            return
        c.check("running: status: pid, generation 2, mappings 1",
                stats["pid"] == proc.pid and stats["dataplane_generation"] == 2 and stats["mappings"] == 1,
                f"pid {stats['pid']} vs {proc.pid}, {stats['dataplane_generation']}, {stats['mappings']}")
        # One block for the worker (here the main lcore itself) and the housekeeping block last,
        # which receives and sends nothing itself.
        c.check("running: a worker block with rx/tx totals, a housekeeping block, counters summed",
                len(stats["lcores"]) == 2 and stats["lcores"][1]["rx_packets"] == 0 and
                stats["lcores"][0]["rx_packets"] == 3 and
                stats["lcores"][0]["tx_packets"] == 3 and stats["rx_packets"] == 3 and
                stats["counters"]["in-ipv6-bytes"] == 2 * len(bytes(up)) - 2 * 14, f"{stats['lcores']}")
        c.check("running: counter names and descriptions come from the segment",
                stats["descriptions"].get("drop-ttl-zero-ipv4", "").startswith("IPv4 TTL 0 or 1") and
                stats["pools"] == [tep.POOL], f"{stats['pools']}")
        c.check("running: heartbeat is fresh", wait_for(lambda: run.stats()["heartbeat_age_ms"] < 500, 5))
        run.write("ring3.txt", f"{tep.L4B} {tep.C6B}\n")
        run.tool("push", run.shm, os.path.join(run.work, "ring3.txt"))
        c.check("running: a pushed mapping is applied by the running dataplane",
                run.tool("wait", run.shm, "5000", check=False).returncode == 0)
        c.check("running: and counted", wait_for(lambda: run.stats()["mappings"] == 2, 5))
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
    c.check("running: kill -9 leaves the stats segment behind", run.stats() is not None)


def restart(run, c):
    # The agent's new set: L4 gone, L4B moved to another node. Queued while no dataplane runs.
    c6_new = "2001:db8:1::77"
    run.write("snapshot.txt", f"{tep.L4B} {c6_new}\n")
    last = int(run.tool("snapshot", run.shm, os.path.join(run.work, "snapshot.txt")).stdout)
    old_up, old_down, _, _ = traffic(tep.L4, tep.C6)          # stale: in the ring's old set and static
    moved_old, _, _, _ = traffic(tep.L4B, tep.C6B)            # L4B from its old node: spoofed now
    new_up, new_down, new_up_out, new_down_out = traffic(tep.L4B, c6_new)
    r, report, out6, out4 = run.run_to_idle("restart", [old_up, moved_old, new_up], [old_down, new_down],
                                            mappings=f"{tep.L4} {tep.C6}\n")
    c.check("restart: dataplane exits cleanly (stale stats segment replaced)", r.returncode == 0, r.stderr[-400:])
    st = run.status()
    c.check("restart: new generation 3, snapshot applied",
            st["dataplane_generation"] == 3 and st["last_applied_sequence"] == last, f"{st}, snapshot end {last}")
    c.check("restart: decap follows the snapshot only", out4 == [bytes(new_up_out)], f"{len(out4)} frame(s)")
    c.check("restart: encap follows the snapshot only", out6 == [bytes(new_down_out)], f"{len(out6)} frame(s)")
    got = nonzero(report.get("counters", {}))
    want = {"in-ipv6": 3, "in-ipv4": 2, "out-ipv4": 1, "out-ipv6": 1, "drop-no-source-softwire-ipv6": 1,
            "drop-spoofed-inner-src-ipv4": 1, "drop-no-dest-softwire-ipv4": 1}
    c.check("restart: counters exact (stale ring entry and static preload gone)", got == want, f"got {got}")
    c.check("restart: the table is the snapshot", report.get("mappings") == 1, f"{report.get('mappings')}")


def late_agent(run, c):
    late = Run(run.opts, run.work, run.shm + "-late")
    proc = subprocess.Popen(late.dataplane_args("late", [], [], exit_when_idle=False,
                                                 config={"control.poll_us": "200"}),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        c.check("late agent: the dataplane runs without the agent's segment",
                bool(wait_for(lambda: (s := late.stats()) and s["dataplane_generation"] == 0, 10)))
        late.write("late.txt", f"{tep.L4} {tep.C6}\n{tep.L4B} {tep.C6B}\n")
        for attempt, want in (("appears", 2), ("is recreated", 1)):
            late.tool("create", late.shm, "64")  # "create" replaces an existing segment
            late.tool("snapshot", late.shm, os.path.join(late.work, "late.txt"))
            ok = late.tool("wait", late.shm, "10000", check=False).returncode == 0
            st = late.status()
            c.check(f"late agent: segment {attempt}: attached within the retry period, snapshot applied",
                    ok and st["dataplane_generation"] == 1, f"{st}")
            c.check(f"late agent: segment {attempt}: the stats show the mappings",
                    bool(wait_for(lambda: late.stats()["mappings"] == want, 5)), f"{late.stats()}")
            if attempt == "appears":
                late.write("late.txt", f"{tep.L4B} {tep.C6B}\n")  # the new agent's set
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        err = proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
    c.check("late agent: waited once, attached twice (log)",
            err.count("waiting for dstm-agent's segment") == 1 and err.count("attached " + late.shm) == 2 and
            "was recreated" in err, err[-600:])
    c.check("late agent: clean exit", proc.returncode == 0, f"exit {proc.returncode}")
    for name in (late.shm, late.shm + "-stats"):
        if os.path.exists("/dev/shm" + name):
            os.unlink("/dev/shm" + name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("binary")
    parser.add_argument("shm_tool")
    parser.add_argument("--keep", help="keep the work files in this directory")
    opts = parser.parse_args()
    work = opts.keep or tempfile.mkdtemp(prefix="dstm-itest-")
    os.makedirs(work, exist_ok=True)
    c = Checks()
    try:
        scenario(opts, work, c)
    except Exception as e:  # a broken step is a failed check, never a crash of the suite
        c.check("scenario ran to the end", False, f"{type(e).__name__}: {e}")
    finally:
        if not opts.keep:
            subprocess.run(["rm", "-rf", work])
    print(f"integration: {c.passed} passed, {c.failed} failed")
    return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

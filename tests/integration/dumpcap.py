#!/usr/bin/python3
"""Integration test: Debian's dpdk-dumpcap attached to a running dstm-dataplane (issue #3:
"call rte_pdump_init so dpdk-dumpcap works when the dataplane runs with hugepages").

dpdk-dumpcap is a DPDK secondary process: it needs the primary's memory in hugepages and its
runtime directory, so this is the one test that runs the dataplane without --no-huge. It
reserves the 2 MiB pages it needs (and gives them back), mounts its own hugetlbfs in a
temporary folder (--huge-dir for both processes) and uses its own --file-prefix, so it touches
neither /dev/hugepages nor another DPDK process.

  1. the dataplane forwards decap and encap traffic (net_pcap, infinite_rx) on 2 ports;
  2. dpdk-dumpcap -i 0 -c N writes N packets of port 0 (the node side) to a pcapng file and
     exits 0: every captured frame is one the port really received (a decap input) or sent (an
     encap output, byte for byte as the conformance suite expects it), and both directions occur;
  3. the same for port 1 (the IPv4 side), while the dataplane keeps forwarding;
  4. after dumpcap detached, the dataplane still forwards, stops on SIGINT with exit 0 and
     counts no drop.

usage: dumpcap.py DATAPLANE_BINARY [--keep DIR]
The last line is "dumpcap: N passed, M failed" (N, M count checks), or
"dumpcap: skipped: REASON" when this machine cannot give the hugepages.
"""
import argparse
import json
import os
import shutil
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
from tep import IP, D, L4, from_node, from_internet, to_internet, to_node, forwarded  # noqa: E402
from scapy.all import UDP, rdpcap, wrpcap  # noqa: E402
from scapy.config import conf  # noqa: E402

conf.verb = 0
HUGE_SYSFS = "/sys/kernel/mm/hugepages/hugepages-2048kB"
MEMORY_MB = 256          # the dataplane's -m; dumpcap takes its ring and mbufs from the same pages
PAGES = 2 * MEMORY_MB // 2  # 2 MiB pages: the dataplane's, dumpcap's, and slack
CAPTURE = 512            # packets per capture: enough for both directions


def read_int(path):
    with open(path) as f:
        return int(f.read().strip())


class Hugepages:
    """Makes PAGES free 2 MiB pages available and mounts a private hugetlbfs; undone on exit."""

    def __init__(self, work):
        self.mount = os.path.join(work, "huge")
        self.original = None
        self.mounted = False

    def acquire(self):
        if os.geteuid() != 0:
            return "needs root (hugepages, hugetlbfs mount)"
        if not os.path.isdir(HUGE_SYSFS):
            return f"the kernel has no 2 MiB hugepages ({HUGE_SYSFS} missing)"
        self.original = read_int(f"{HUGE_SYSFS}/nr_hugepages")
        short = PAGES - read_int(f"{HUGE_SYSFS}/free_hugepages")
        if short > 0:
            try:
                with open(f"{HUGE_SYSFS}/nr_hugepages", "w") as f:
                    f.write(str(self.original + short))
            except OSError as e:  # a read-only /sys (some containers)
                self.original = None
                return f"cannot reserve 2 MiB pages ({HUGE_SYSFS}/nr_hugepages: {e.strerror})"
            if read_int(f"{HUGE_SYSFS}/free_hugepages") < PAGES:
                return (f"the kernel gave fewer than {PAGES} free 2 MiB pages "
                        f"(free_hugepages={read_int(f'{HUGE_SYSFS}/free_hugepages')})")
        os.makedirs(self.mount, exist_ok=True)
        r = subprocess.run(["mount", "-t", "hugetlbfs", "-o", "pagesize=2M", "nodev", self.mount],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return f"cannot mount hugetlbfs: {r.stderr.strip()}"
        self.mounted = True
        return None

    def release(self):
        if self.mounted:
            subprocess.run(["umount", self.mount], capture_output=True)
        if self.original is not None:
            try:
                with open(f"{HUGE_SYSFS}/nr_hugepages", "w") as f:
                    f.write(str(self.original))
            except OSError:
                pass  # nothing was reserved


def traffic(work):
    """Node-side and IPv4-side inputs (replayed forever) and the frames the TEP must send."""
    up = [IP(src=L4, dst=D, id=i) / UDP(sport=1000 + i, dport=53) / (b"u%02d" % i) for i in range(8)]
    down = [IP(src=D, dst=L4, id=i) / UDP(sport=53, dport=1000 + i) / (b"d%02d" % i) for i in range(8)]
    rx0 = [from_node(p) for p in up]
    rx1 = [from_internet(p) for p in down]
    wrpcap(os.path.join(work, "0.pcap"), rx0)
    wrpcap(os.path.join(work, "1.pcap"), rx1)
    tx0 = [to_node(forwarded(p)) for p in down]
    tx1 = [to_internet(forwarded(p)) for p in up]
    return ({bytes(p) for p in rx0}, {bytes(p) for p in tx0}), ({bytes(p) for p in rx1}, {bytes(p) for p in tx1})


def eal(work, prefix, huge):
    return ["-l", "0,1", "-m", str(MEMORY_MB), "--huge-dir", huge, "--file-prefix", prefix,
            "--no-pci", "--log-level=error"]


def start_dataplane(binary, work, prefix, huge):
    with open(os.path.join(work, "dstm.toml"), "w") as f:
        f.write(tep.config())
    with open(os.path.join(work, "mappings.txt"), "w") as f:
        f.write(tep.MAPPINGS)
    vdevs = []
    for port in (0, 1):
        devargs = f"rx_pcap={work}/{port}.pcap,infinite_rx=1,tx_pcap=/dev/null"
        # DPDK 22.11's net_pcap hands a secondary process (dumpcap) its devargs through a
        # 64-byte field (ETH_PCAP_ARG_MAXLEN): longer ones arrive cut and the secondary's probe
        # fails ("vdev_probe(): failed to initialize net_pcap0 device"). Hence the short paths.
        assert len(devargs) < 64, devargs
        vdevs += ["--vdev", f"net_pcap{port},{devargs}"]
    args = [binary] + eal(work, prefix, huge) + vdevs + [
        "--", "--config", f"{work}/dstm.toml", "--mappings", f"{work}/mappings.txt",
        "--counters-json", f"{work}/counters.json"]
    log = open(os.path.join(work, "dataplane.log"), "w")
    out_path = os.path.join(work, "dataplane.out")
    proc = subprocess.Popen(args, stdout=open(out_path, "w"), stderr=log, text=True)
    # "dstm-dataplane: N worker(s) ..." once forwarding
    for _ in range(300):
        with open(out_path) as f:
            line = f.readline()
        if line.endswith("\n") or proc.poll() is not None:
            break
        time.sleep(0.1)
    return proc, line


def capture(work, prefix, huge, port, name):
    """dpdk-dumpcap on `port`: stops by itself after CAPTURE packets. Returns (rc, output, frames)."""
    out = os.path.join(work, f"{name}.pcapng")
    args = ["dpdk-dumpcap", "--file-prefix", prefix, "-i", str(port), "-c", str(CAPTURE),
            "-w", out, "-q"]
    # dumpcap's EAL arguments come from --file-prefix; it finds the hugepages through the
    # primary's runtime config, so --huge-dir is not needed here.
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired as e:
        return None, f"timed out: {e.stderr}", []
    frames = [bytes(p) for p in rdpcap(out)] if os.path.exists(out) else []
    return r.returncode, r.stdout + r.stderr, frames


def check_capture(c, label, rc, output, frames, received, sent):
    c.check(f"{label}: dpdk-dumpcap exits 0", rc == 0, output[-600:])
    # -c N stops after the burst that reaches N packets.
    c.check(f"{label}: at least {CAPTURE} packets captured", len(frames) >= CAPTURE,
            f"{len(frames)} captured")
    strange = [f.hex() for f in frames if f not in received and f not in sent]
    c.check(f"{label}: every frame is one the port received or sent", not strange,
            f"{len(strange)} unknown, first {strange[:1]}")
    c.check(f"{label}: both directions captured",
            any(f in received for f in frames) and any(f in sent for f in frames),
            f"rx {sum(f in received for f in frames)}, tx {sum(f in sent for f in frames)}")


def counters_delivered(work):
    with open(os.path.join(work, "counters.json")) as f:
        report = json.load(f)
    return report["counters"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dataplane")
    ap.add_argument("--keep", help="keep the work folder here")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="dc", dir="/tmp")  # short: see start_dataplane
    if shutil.which("dpdk-dumpcap") is None:
        print("dumpcap: skipped: dpdk-dumpcap is not installed (Debian package dpdk)")
        return 0
    huge = Hugepages(work)
    c = Checks()
    proc = None
    prefix = None
    try:
        reason = huge.acquire()
        if reason:
            print(f"dumpcap: skipped: {reason}")
            return 0
        prefix = f"dstm-dumpcap-{os.getpid()}"
        (rx0, tx0), (rx1, tx1) = traffic(work)
        proc, line = start_dataplane(args.dataplane, work, prefix, huge.mount)
        if not c.check("dataplane starts on hugepages", line.startswith("dstm-dataplane:"),
                       open(os.path.join(work, "dataplane.log")).read()[-800:]):
            return 1
        check_capture(c, "port 0 (node side)", *capture(work, prefix, huge.mount, 0, "port0"), rx0, tx0)
        check_capture(c, "port 1 (IPv4 side)", *capture(work, prefix, huge.mount, 1, "port1"), rx1, tx1)
        c.check("dataplane still running after both captures", proc.poll() is None)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        try:
            rc = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = None
        c.check("dataplane exits 0 on SIGINT", rc == 0,
                open(os.path.join(work, "dataplane.log")).read()[-800:])
        counters = counters_delivered(work)
        c.check("traffic forwarded both ways",
                counters.get("out-ipv4-packets", 0) > 0 and counters.get("out-ipv6-packets", 0) > 0,
                str(counters))
        drops = {k: v for k, v in counters.items() if k.startswith("drop") and v}
        c.check("no drop counted", not drops, str(drops))
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        huge.release()
        if prefix:  # the primary leaves its runtime folder behind (config, fbarrays)
            shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
        if args.keep:
            shutil.copytree(work, args.keep, dirs_exist_ok=True, ignore=shutil.ignore_patterns("huge"))
        shutil.rmtree(work, ignore_errors=True)
    print(f"dumpcap: {c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Conformance suite for dstm-dataplane: pcap in -> pcap out, byte for byte, counters exact.

Each case is a folder under cases/ with a gen.py whose build() returns a dict:
  in6, in4      frames arriving on the node side and the internet side (scapy packets)
  out6, out4    frames the TEP must send on each side, in order, byte for byte
  counters      {"name": packets} for every counter that must be non-zero (all others 0)
  config        optional overrides for tep.config(), e.g. {"tep.hairpinning": "false"}
  one_port      optional: both sides on port 0 (the ipv4 lists are then merged into port 0)
  lcores        optional EAL -l value (default "0": one lcore forwards, a thread keeps house);
                "0,1" runs a worker lcore beside the main lcore
  ignore        optional {"node side"|"internet side"|"port0": [(frame, offset, length), ...]}:
                bytes not compared, for values the TEP must make unpredictable (a fragment id)
  mappings_at_exit  optional: the number of mappings the table must hold at exit (learning mode)
gen.py builds the expectations from the rules in TEP-BEHAVIOUR.md with scapy, independently of
the dataplane's code. The runner starts the real dstm-dataplane on net_pcap ports (no
hugepages), then checks the outputs, the counters and that every mbuf went back to the pool.

usage: run.py DATAPLANE_BINARY [CASE ...] [--keep DIR]   (runs every case by default)
The last line is "conformance: N passed, M failed".
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
import tep  # noqa: E402
from scapy.all import rdpcap, wrpcap  # noqa: E402
from scapy.config import conf  # noqa: E402

conf.verb = 0
EAL = ["--no-huge", "-m", "256", "--no-shconf", "--no-pci", "--log-level=error"]


def load(case_dir):
    spec = importlib.util.spec_from_file_location("gen", os.path.join(case_dir, "gen.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build()


def vdev(index, rx, tx):
    return f"net_pcap{index}," + (f"rx_pcap={rx}," if rx else "") + f"tx_pcap={tx}"


def frames(path):
    return [bytes(p) for p in rdpcap(path)] if os.path.exists(path) and os.path.getsize(path) > 24 else []


def mask(frames, ranges):
    frames = [bytearray(f) for f in frames]
    for index, offset, length in ranges:
        if index < len(frames):
            frames[index][offset:offset + length] = b"\0" * min(length, max(0, len(frames[index]) - offset))
    return [bytes(f) for f in frames]


def compare(side, got, want, ignore=()):
    want = mask([bytes(p) for p in want], ignore)
    got = mask(got, ignore)
    if got == want:
        return []
    problems = [f"{side}: {len(got)} frame(s) sent, {len(want)} expected"]
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            at = next(j for j in range(min(len(g), len(w)) + 1) if j >= min(len(g), len(w)) or g[j] != w[j])
            problems.append(f"{side} frame {i}: differs from byte {at} (got {len(g)} B, want {len(w)} B)\n"
                            f"      got  {g[max(0, at - 4):at + 12].hex()}\n      want {w[max(0, at - 4):at + 12].hex()}")
    return problems


def run_case(binary, case_dir, work):
    case = load(case_dir)
    one_port = case.get("one_port", False)
    cfg = dict(case.get("config", {}))
    if one_port:
        cfg["ports.ipv4.port"] = "0"
    with open(os.path.join(work, "dstm.toml"), "w") as f:
        f.write(tep.config(**cfg))
    with open(os.path.join(work, "mappings.txt"), "w") as f:
        f.write(case.get("mappings", tep.MAPPINGS))
    ports = [("6", case.get("in6", []) + (case.get("in4", []) if one_port else []))]
    if not one_port:
        ports.append(("4", case.get("in4", [])))
    args = [binary, "-l", case.get("lcores", "0")] + EAL
    for index, (name, inputs) in enumerate(ports):
        rx = None
        if inputs:
            rx = os.path.join(work, f"in{name}.pcap")
            wrpcap(rx, inputs)
        args += ["--vdev", vdev(index, rx, os.path.join(work, f"out{name}.pcap"))]
    counters_path = os.path.join(work, "counters.json")
    args += ["--", "--config", os.path.join(work, "dstm.toml"), "--mappings", os.path.join(work, "mappings.txt"),
             "--exit-when-idle", "300", "--counters-json", counters_path]
    result = subprocess.run(args, capture_output=True, text=True, timeout=60)
    problems = []
    if result.returncode != 0:
        problems.append(f"dstm-dataplane exited {result.returncode}: {result.stderr.strip()[-400:]}")
    if not os.path.exists(counters_path):
        return problems + ["no counters written"]
    report = json.load(open(counters_path))
    if report["mbufs_in_use"] != 0:
        problems.append(f"{report['mbufs_in_use']} mbuf(s) leaked")
    if "mappings_at_exit" in case and report["mappings"] != case["mappings_at_exit"]:
        problems.append(f"mappings at exit: got {report['mappings']}, want {case['mappings_at_exit']}")
    got = {k[:-len("-packets")]: v for k, v in report["counters"].items() if k.endswith("-packets") and v}
    if got != case["counters"]:
        problems.append(f"counters: got {got}, want {case['counters']}")
    ignore = case.get("ignore", {})
    if one_port:
        problems += compare("port0", frames(os.path.join(work, "out6.pcap")),
                            case.get("out6", []) + case.get("out4", []), ignore.get("port0", ()))
    else:
        problems += compare("node side", frames(os.path.join(work, "out6.pcap")), case.get("out6", []),
                            ignore.get("node side", ()))
        problems += compare("internet side", frames(os.path.join(work, "out4.pcap")), case.get("out4", []),
                            ignore.get("internet side", ()))
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("binary")
    parser.add_argument("cases", nargs="*")
    parser.add_argument("--keep", help="keep each case's work files under this directory")
    opts = parser.parse_args()
    root = os.path.join(HERE, "cases")
    names = opts.cases or sorted(d for d in os.listdir(root) if os.path.isfile(os.path.join(root, d, "gen.py")))
    passed = failed = 0
    for name in names:
        work = os.path.join(opts.keep, name) if opts.keep else tempfile.mkdtemp(prefix="dstm-conf-")
        os.makedirs(work, exist_ok=True)
        try:
            problems = run_case(opts.binary, os.path.join(root, name), work)
        except Exception as e:  # a broken case is a failed case, never a crash of the suite
            problems = [f"{type(e).__name__}: {e}"]
        if problems:
            failed += 1
            print(f"FAIL {name}")
            for p in problems:
                print(f"    {p}")
        else:
            passed += 1
            print(f"pass {name}")
        if not opts.keep:
            subprocess.run(["rm", "-rf", work])
    print(f"conformance: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

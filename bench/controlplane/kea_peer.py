"""The allocation-rate peer: ISC Kea's DHCPv4 server (Debian's kea-dhcp4-server, memfile lease
store written to a CSV file) driven by its own load tool, perfdhcp (Debian's kea-admin), on this
machine, in the same script as dstm-server's figures (issue #5 names Kea 2.0 memfile's published
11.7k leases/s as the peer).

Both run in a network namespace of their own: perfdhcp acts as a relay (giaddr 127.0.0.2) and
Kea listens on 127.0.0.1:67 only, so nothing reaches the host's DHCP ports. perfdhcp runs
DISCOVER-OFFER-REQUEST-ACK exchanges (one lease each) at an offered rate above what Kea can do;
the figure is the best exchange rate perfdhcp reports over a run at that rate and a second run
offered 90 % of what the first achieved. Kea's memfile appends each lease to its CSV without
fsync; dstm-server fsyncs every lease (group commit) and also waits for the TEP.

kea_leases_per_s(seconds) -> (rate, detail) or (None, reason why not measured).
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

PACKAGES = "kea-dhcp4-server (kea-dhcp4) and kea-admin (perfdhcp)"


def _ns(name, *cmd, **kw):
    return subprocess.run(["ip", "netns", "exec", name] + list(cmd), **kw)


def _perfdhcp(ns, rate, seconds):
    r = _ns(ns, "perfdhcp", "-4", "-l", "127.0.0.2", "-r", str(rate), "-R", "10000000",
            "-p", str(seconds), "127.0.0.1", capture_output=True, text=True, timeout=seconds + 60)
    m = re.search(r"Rate:\s*([0-9.]+)\s*4-way exchanges/second", r.stdout)
    if not m:
        raise RuntimeError("perfdhcp printed no rate: " + (r.stdout + r.stderr)[-400:])
    drops = re.findall(r"drops ratio:\s*([0-9.]+)", r.stdout)
    return float(m.group(1)), [float(d) for d in drops]


def kea_leases_per_s(seconds=10, offered=30000):
    if os.geteuid() != 0:
        return None, "needs root (a network namespace for Kea and perfdhcp)"
    for tool in ("kea-dhcp4", "perfdhcp", "ip"):
        if shutil.which(tool) is None:
            return None, f"{tool} not installed ({PACKAGES})"
    ns = f"dstm-kea-{os.getpid()}"
    work = tempfile.mkdtemp(prefix="dstm-kea-")
    kea = None
    try:
        subprocess.run(["ip", "netns", "add", ns], check=True, capture_output=True)
        _ns(ns, "ip", "link", "set", "lo", "up", check=True)
        _ns(ns, "ip", "addr", "add", "127.0.0.2/8", "dev", "lo", check=True)
        config = {"Dhcp4": {
            "interfaces-config": {"interfaces": ["lo/127.0.0.1"], "dhcp-socket-type": "udp"},
            "lease-database": {"type": "memfile", "persist": True, "name": f"{work}/leases4.csv",
                               "lfc-interval": 0},
            "valid-lifetime": 86400,
            "subnet4": [{"id": 1, "subnet": "10.0.0.0/8",
                         "pools": [{"pool": "10.1.0.0 - 10.254.255.255"}],
                         "relay": {"ip-addresses": ["127.0.0.2"]}}],
            "loggers": [{"name": "kea-dhcp4", "severity": "WARN",
                         "output_options": [{"output": f"{work}/kea.log"}]}]}}
        with open(f"{work}/kea.json", "w") as f:
            json.dump(config, f)
        env = dict(os.environ, KEA_LOCKFILE_DIR=work, KEA_PIDFILE_DIR=work)
        kea = subprocess.Popen(["ip", "netns", "exec", ns, "kea-dhcp4", "-c", f"{work}/kea.json"],
                               env=env, stdout=subprocess.DEVNULL, stderr=open(f"{work}/kea.err", "w"))
        deadline = time.time() + 15
        while time.time() < deadline:
            out = _ns(ns, "ss", "-uln", capture_output=True, text=True).stdout
            if "127.0.0.1:67 " in out:
                break
            if kea.poll() is not None:
                return None, "kea-dhcp4 exited: " + open(f"{work}/kea.err").read()[-300:]
            time.sleep(0.1)
        else:
            return None, "kea-dhcp4 did not listen on 127.0.0.1:67 within 15 s"
        first, drops1 = _perfdhcp(ns, offered, seconds)
        second, drops2 = _perfdhcp(ns, max(1000, int(first * 0.9)), seconds)
        best, drops = (first, drops1) if first >= second else (second, drops2)
        leases = sum(1 for _ in open(f"{work}/leases4.csv")) - 1
        return best, (f"Kea {kea_version()} memfile, perfdhcp DORA: {first:.0f}/s offered {offered}/s, "
                      f"{second:.0f}/s offered {int(first * 0.9)}/s (drops % {drops}); {leases} lease rows written")
    finally:
        if kea is not None and kea.poll() is None:
            kea.terminate()
            try:
                kea.wait(timeout=10)
            except subprocess.TimeoutExpired:
                kea.kill()
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


def kea_version():
    r = subprocess.run(["kea-dhcp4", "-v"], capture_output=True, text=True)
    return r.stdout.strip() or "?"


if __name__ == "__main__":
    print(kea_leases_per_s(5))

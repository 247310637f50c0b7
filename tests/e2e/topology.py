"""The whole DSTM system in network namespaces on one machine (tests/e2e and scripts/demo).

    node  (IPv6 only, dstm-client, TUN DTI)  ─┐
    node2 (IPv6 only, the kernel's seg6 4in6) ─┤
    server (dstm-server)                      ─┼─ router (IPv6) ── tep: t0 [dstm-dataplane, af_packet] t1 ── v4host (IPv4 only)
    tep management (dstm-agent)               ─┘                   (m0: the agent's TSP, kernel-owned)

The DPDK TEP owns t0 and t1 (their kernel addresses are removed, as TESTBED.md 2.8 says);
the agent listens on the kernel-owned management link m0. Every neighbour is static, so no
first packet waits on ARP/ND (TESTBED.md 2.9 (b)). All traffic stays inside the namespaces.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

T6, T4 = "2001:db8:1::1", "198.51.100.1"           # the TEP's tunnel addresses (DPDK)
RT6 = "2001:db8:1::fe"                              # the router on the TEP's IPv6 side
H4 = "198.51.100.2"                                 # v4host
C6, RC6 = "2001:db8:10::2", "2001:db8:10::1"        # node (dstm-client) and its router address
K6, RK6 = "2001:db8:11::2", "2001:db8:11::1"        # node2 (kernel seg6)
KB4 = "2001:db8:11::b4"                             # node2's tunnel end (seg6 End.DX4, not local)
S6, RS6 = "2001:db8:20::2", "2001:db8:20::1"        # dstm-server
A6, RA6 = "2001:db8:30::2", "2001:db8:30::1"        # dstm-agent (TEP management)
POOL = "10.64.0.0/24"                               # the server's pool (the TEP maps all of it)
K4 = "10.64.0.200"                                  # node2's static mapping (outside the server's range)
NAMESPACES = ("node", "node2", "router", "server", "tep", "v4host")
EAL = ["-l", "0", "--no-huge", "-m", "512", "--no-shconf", "--no-pci", "--log-level=error"]


def sh(*args, check=True, **kw):
    return subprocess.run(list(args), check=check, capture_output=True, text=True, **kw)


def ns(name, *args, check=True, **kw):
    return sh("ip", "netns", "exec", name, *args, check=check, **kw)


def mac_of(netns, dev):
    out = sh("ip", "-n", netns, "-j", "link", "show", dev).stdout
    return json.loads(out)[0]["address"]


class Topology:
    def __init__(self, build, tag=None, lifetime=3600):
        self.build = os.path.abspath(build)
        self.tag = tag or f"e2e{os.getpid()}"
        self.names = {n: f"{self.tag}-{n}" for n in NAMESPACES}
        self.work = tempfile.mkdtemp(prefix=f"dstm-{self.tag}-")
        self.shm = f"dstm-{self.tag}"
        self.lifetime = lifetime
        self.procs = {}
        self.logs = {}

    # -- paths ------------------------------------------------------------------------------
    def bin(self, rel):
        return os.path.join(self.build, rel)

    def n(self, short):
        return self.names[short]

    def dstmctl(self, *args, server=False, check=True):
        sock = ["--server-socket", f"{self.work}/server.sock", "--server"] if server else \
            ["--agent-socket", f"{self.work}/agent.sock"]
        return sh(self.bin("controlplane/ctl/dstmctl"), *sock, *args, check=check)

    # -- the network ------------------------------------------------------------------------
    def up(self):
        for short in NAMESPACES:
            sh("ip", "netns", "add", self.n(short))
            sh("ip", "-n", self.n(short), "link", "set", "lo", "up")
        links = [("node", "c0", "router", "rn0"), ("node2", "k0", "router", "rk0"),
                 ("server", "s0", "router", "rs0"), ("tep", "m0", "router", "rm0"),
                 ("tep", "t0", "router", "rt0"), ("tep", "t1", "v4host", "v0")]
        for a, da, b, db in links:
            sh("ip", "link", "add", da, "netns", self.n(a), "type", "veth", "peer", "name", db, "netns", self.n(b))
            for netns, dev in ((a, da), (b, db)):
                sh("ip", "-n", self.n(netns), "link", "set", dev, "up")
                # af_packet sends checksum-partial frames otherwise (TESTBED.md: TCP needs tx off).
                ns(self.n(netns), "ethtool", "-K", dev, "tx", "off", "tso", "off", "gso", "off", check=False)
        r = self.n("router")
        ns(r, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")
        for dev, addr in (("rn0", RC6), ("rk0", RK6), ("rs0", RS6), ("rm0", RA6), ("rt0", RT6)):
            sh("ip", "-n", r, "addr", "add", f"{addr}/64", "dev", dev, "nodad")
        sh("ip", "-n", r, "-6", "route", "add", f"{KB4}/128", "via", K6, "dev", "rk0")
        for short, dev, addr, gw in (("node", "c0", C6, RC6), ("node2", "k0", K6, RK6), ("server", "s0", S6, RS6),
                                     ("tep", "m0", A6, RA6)):
            sh("ip", "-n", self.n(short), "addr", "add", f"{addr}/64", "dev", dev, "nodad")
            sh("ip", "-n", self.n(short), "-6", "route", "add", "default", "via", gw, "dev", dev)
        # The TEP: t0/t1 belong to DPDK; the kernel must neither answer nor forward on them.
        t = self.n("tep")
        for dev in ("t0", "t1"):
            ns(t, "sysctl", "-qw", f"net.ipv6.conf.{dev}.disable_ipv6=1")
        ns(t, "sysctl", "-qw", "net.ipv4.ip_forward=0")
        v = self.n("v4host")
        ns(v, "sysctl", "-qw", "net.ipv6.conf.v0.disable_ipv6=1")  # an IPv4-only host, really
        sh("ip", "-n", v, "addr", "add", f"{H4}/24", "dev", "v0")
        sh("ip", "-n", v, "route", "add", "default", "via", T4)
        # Static neighbours both ways (determinism: no first packet lost to resolution).
        self.t0_mac, self.t1_mac = mac_of(t, "t0"), mac_of(t, "t1")
        self.rt0_mac, self.v0_mac = mac_of(r, "rt0"), mac_of(v, "v0")
        sh("ip", "-n", r, "-6", "neigh", "replace", T6, "lladdr", self.t0_mac, "dev", "rt0", "nud", "permanent")
        sh("ip", "-n", v, "neigh", "replace", T4, "lladdr", self.t1_mac, "dev", "v0", "nud", "permanent")
        # node2: the kernel's own IPv4-in-IPv6 (seg6 encap.red with one segment = plain next
        # header 4; End.DX4 on a non-local address decapsulates; TESTBED.md 2.7).
        k = self.n("node2")
        sh("ip", "-n", k, "addr", "add", f"{K4}/32", "dev", "lo")
        sh("ip", "-n", k, "sr", "tunsrc", "set", KB4)
        sh("ip", "-n", k, "route", "add", "default", "encap", "seg6", "mode", "encap.red", "segs", T6,
           "dev", "k0", "src", K4)
        sh("ip", "-n", k, "-6", "route", "add", f"{KB4}/128", "encap", "seg6local", "action", "End.DX4",
           "nh4", K4, "dev", "k0")

    def down(self):
        for name in list(self.procs):
            self.stop(name, sig=signal.SIGKILL)
        for short in NAMESPACES:
            sh("ip", "netns", "del", self.n(short), check=False)
        for name in (self.shm, self.shm + "-stats"):
            try:
                os.unlink("/dev/shm/" + name)
            except OSError:
                pass
        shutil.rmtree(self.work, ignore_errors=True)

    # -- processes --------------------------------------------------------------------------
    def spawn(self, name, netns, argv, env=None):
        log = open(os.path.join(self.work, f"{name}.log"), "w")
        self.logs[name] = log.name
        p = subprocess.Popen(["ip", "netns", "exec", self.n(netns)] + argv, stdout=log, stderr=subprocess.STDOUT,
                             env=env)
        self.procs[name] = p
        return p

    def stop(self, name, sig=signal.SIGTERM, timeout=20):
        p = self.procs.pop(name, None)
        if p is None or p.poll() is not None:
            return
        p.send_signal(sig)
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()

    def log(self, name):
        try:
            return open(self.logs[name]).read()
        except (KeyError, OSError):
            return ""

    def write(self, name, text):
        path = os.path.join(self.work, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def start_agent(self):
        secret = "e2e-tep-secret"
        users = sh(self.bin("controlplane/passwd/dstm-passwd"), "server1", input=secret).stdout
        self.write("agent-users", users)
        self.write("tep1.secret", secret + "\n")
        cfg = self.write("agent.toml", f"""[tsp]
listen = ["[{A6}]:3653"]
users_file = "{self.work}/agent-users"
allow = ["{S6}/128"]
[tep]
ipv4 = "{T4}"
ipv6 = "{T6}"
pools = ["{POOL}"]
[store]
path = "{self.work}/agent.db"
[dataplane]
shm = "{self.shm}"
apply_timeout_ms = 2000
[control]
socket = "{self.work}/agent.sock"
""")
        self.spawn("agent", "tep", [self.bin("controlplane/agent/dstm-agent"), "--config", cfg])
        self.wait(lambda: os.path.exists(f"/dev/shm/{self.shm}") and os.path.exists(f"{self.work}/agent.sock"),
                  10, "dstm-agent")

    def start_dataplane(self):
        cfg = self.write("dataplane.toml", f"""[tep]
ipv6 = ["{T6}"]
ipv4 = "{T4}"
pools = ["{POOL}"]
[ports.ipv6]
port = 0
[ports.ipv4]
port = 1
[next_hops.ipv6]
gateway = "{RT6}"
mac = "{self.rt0_mac}"
[next_hops.ipv4]
gateway = "{H4}"
mac = "{self.v0_mac}"
[control]
shm = "{self.shm}"
""")
        self.spawn("dataplane", "tep", [self.bin("dataplane/dstm-dataplane")] + EAL +
                   ["--vdev", "net_af_packet0,iface=t0", "--vdev", "net_af_packet1,iface=t1",
                    "--", "--config", cfg])
        self.wait(lambda: os.path.exists(f"/dev/shm/{self.shm}-stats") and "worker" in self.log("dataplane"),
                  30, "dstm-dataplane")

    def start_server(self, users=(("node1", "node1-secret"),), extra=""):
        lines = "".join(sh(self.bin("controlplane/passwd/dstm-passwd"), u, input=p).stdout for u, p in users)
        self.write("server-users", lines)
        cfg = self.write("server.toml", f"""[tsp]
listen = ["[{S6}]:3653"]
users_file = "{self.work}/server-users"
dns_servers = ["{S6}"]
{extra}
[pool]
prefixes = ["{POOL}"]
exclude = ["{K4}"]
default_lifetime = {self.lifetime}
max_lifetime = {max(self.lifetime, 60)}
[[tep]]
name = "tep1"
endpoint = "[{A6}]:3653"
username = "server1"
password_file = "{self.work}/tep1.secret"
[store]
path = "{self.work}/server.db"
[control]
socket = "{self.work}/server.sock"
""")
        self.spawn("server", "server", [self.bin("controlplane/server/dstm-server"), "--config", cfg])
        self.wait(lambda: os.path.exists(f"{self.work}/server.sock") and "connected to" in self.log("server"),
                  15, "dstm-server and its TEP session")

    @staticmethod
    def wait(predicate, timeout, what):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        raise RuntimeError(f"timed out waiting for {what}")

    def ping(self, netns, dest, count=1, timeout=1):
        return ns(self.n(netns), "ping", "-c", str(count), "-W", str(timeout), dest, check=False).returncode == 0

    def wait_ping(self, netns, dest, tries=40):
        for _ in range(tries):
            if self.ping(netns, dest, timeout=0.5 if tries else 1):
                return True
        return False

    def counters(self):
        out = self.dstmctl("-j", "show", "counters", "--all").stdout
        return {c["name"]: c["packets"] for c in json.loads(out)["counters"]}

#!/usr/bin/python3
"""End to end: the whole DSTM system in network namespaces (issue #6), with standard tools.

Builds tests/e2e/topology.py's network, starts dstm-agent, dstm-dataplane (af_packet on the
TEP's veths), dstm-server and dstm-client, and proves with ping, nc (TCP) and a UDP exchange
that an unmodified IPv4 application on the node reaches an IPv4-only host through the DPDK
TEP and back; that a second node forging the first node's IPv4 is dropped and counted; that a
node using the kernel's own IPv4-in-IPv6 (seg6) and one adding Linux's default Tunnel
Encapsulation Limit option are served too; that a released lease removes the path; and that
a restarted dataplane resumes from the agent's resync. Namespaces and processes are removed
afterwards, also on failure. Prints "e2e: N passed, M failed".

usage: run.py BUILD_DIR [-v]
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import topology as T  # noqa: E402
from checks import Checks  # noqa: E402

SCAPY = "/usr/bin/python3"
LIFETIME = 8  # seconds: the client renews at half of it; the expiry case waits for it


class Cases(Checks):
    def __init__(self, verbose):
        super().__init__()
        self.verbose = verbose


def scapy_send(topo, netns, script):
    """Runs a scapy snippet inside a namespace (Debian's python3 has scapy)."""
    code = "import time\nfrom scapy.all import *\nconf.verb = 0\n" + script
    return T.ns(topo.n(netns), SCAPY, "-c", code, check=False, timeout=60)


def tcp_transfer(topo, size=1 << 20):
    """nc on v4host receives `size` bytes from the node's unmodified nc through the TEP."""
    port = 7000
    data = os.path.join(topo.work, "payload.bin")
    with open(data, "wb") as f:
        f.write(os.urandom(size))
    got = os.path.join(topo.work, "received.bin")
    server = subprocess.Popen(["ip", "netns", "exec", topo.n("v4host"), "nc", "-l", "-p", str(port)],
                              stdout=open(got, "wb"), stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    client = T.ns(topo.n("node"), "sh", "-c", f"nc -N -w 5 {T.H4} {port} < {data}", check=False, timeout=60)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
    return client.returncode == 0 and open(got, "rb").read() == open(data, "rb").read()


def udp_exchange(topo):
    """A UDP echo on v4host answers the node's datagram: the way back is encapsulated too."""
    echo = ("import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
            f"s.bind(('{T.H4}',7001))\ns.settimeout(20)\nd,a=s.recvfrom(2048)\ns.sendto(d[::-1],a)\n")
    server = subprocess.Popen(["ip", "netns", "exec", topo.n("v4host"), SCAPY, "-c", echo])
    time.sleep(0.3)
    ask = ("import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.settimeout(5)\n"
           f"s.sendto(b'dstm-udp-probe',('{T.H4}',7001))\nprint(s.recvfrom(2048)[0].decode())\n")
    r = T.ns(topo.n("node"), SCAPY, "-c", ask, check=False, timeout=30)
    server.wait(timeout=30)
    return r.stdout.strip() == "eborp-pdu-mtsd"


def client_status(topo):
    r = T.ns(topo.n("node"), topo.bin("controlplane/client/dstm-client"), "status", "--config",
             os.path.join(topo.work, "client.toml"), "-j", check=False)
    try:
        return json.loads(r.stdout)
    except ValueError:
        return {}


def start_client(topo):
    secret = topo.write("client.secret", "node1-secret\n")
    cfg = topo.write("client.toml", CLIENT_CONFIG.format(server=T.S6, secret=secret, work=topo.work))
    topo.spawn("client", "node", [topo.bin("controlplane/client/dstm-client"), "--config", cfg])


# dstm-client's configuration (controlplane/client/README.md); {placeholders} filled per run.
CLIENT_CONFIG = """[server]
addresses = ["[{server}]:3653"]
transport = "tcp"
timeout_ms = 10000
[auth]
mechanisms = ["SCRAM-SHA-256"]
username = "node1"
password_file = "{secret}"
[node]
interface = "c0"
[dti]
backend = "auto"
name = "dstm0"
routes = ["0.0.0.0/0"]
[lease]
retry_min_ms = 200
retry_max_ms = 2000
[files]
lock = "{work}/client.lock"
control_socket = "{work}/client.sock"
"""


def leased_ipv4(topo):
    return ((client_status(topo).get("lease") or {}).get("ipv4")) or ""


def expect_drops(topo, counter, send, n=2):
    """Runs `send`, then true when `counter` grew by at least n at the TEP."""
    before = topo.counters().get(counter, 0)
    send()
    time.sleep(0.5)
    return topo.counters().get(counter, 0) >= before + n


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    c = Cases("-v" in sys.argv)
    topo = T.Topology(build, lifetime=LIFETIME)
    try:
        topo.up()
        topo.start_agent()
        topo.start_dataplane()
        topo.start_server()

        # The kernel's own 4in6 (seg6 encap.red / End.DX4): a node the TEP never heard of over
        # TSP, mapped by the operator, proves the TEP takes kernel-built packets, not only ours.
        r = topo.dstmctl("mapping", "add", T.K4, T.KB4, check=False)
        c.check("operator maps the kernel node (dstmctl mapping add)", r.returncode == 0, r.stderr)
        c.check("kernel seg6 node pings the IPv4 host through the DPDK TEP", topo.wait_ping("node2", T.H4))

        # dstm-client: TSP to dstm-server, which configures the TEP through dstm-agent.
        start_client(topo)
        c.check("dstm-client gets a lease and its node pings the IPv4 host",
                topo.wait_ping("node", T.H4, tries=60), topo.log("client")[-800:])
        st = client_status(topo)
        lease = st.get("lease") or {}
        leased = lease.get("ipv4", "")
        c.check("dstm-client status shows the lease, the TEP and the DTI",
                leased.startswith("10.64.0.") and lease.get("tep_ipv6") == T.T6 and
                lease.get("tep_ipv4") == T.T4 and (st.get("dti") or {}).get("state") == "up",
                json.dumps(st)[:400])
        leases = json.loads(topo.dstmctl("-j", "show", "leases", server=True).stdout)["items"]
        c.check("the server holds the node's lease for its IPv6",
                [(x["ipv4"], x["ipv6"]) for x in leases] == [(leased, T.C6)], str(leases))
        c.check("a TCP transfer (nc, 1 MiB) from the node arrives intact", tcp_transfer(topo))
        c.check("a UDP exchange from the node is answered through the TEP", udp_exchange(topo))

        # Anti-spoofing: node2 (mapped to K4) sends with the first node's lease as inner source.
        c.check("a second node forging the first node's IPv4 is dropped and counted",
                expect_drops(topo, "drop-spoofed-inner-src-ipv4", lambda: scapy_send(
                    topo, "node2", f"send(IPv6(src='{T.KB4}',dst='{T.T6}',nh=4)/"
                                   f"IP(src='{leased}',dst='{T.H4}')/ICMP(), iface='k0', count=3)"), 3))

        # Linux adds a Tunnel Encapsulation Limit destination option by default (RFC 2473
        # §4.1.1): next header 60, then 4. node2 sends such a ping; the answer must come back.
        probe = scapy_send(topo, "node2",
                           f"sn=AsyncSniffer(iface='k0', count=2, timeout=3, "
                           f"filter='ip6 and src host {T.T6} and dst host {T.KB4}')\n"
                           f"sn.start(); time.sleep(0.3)\n"
                           f"opt=HBHOptUnknown(otype=4,optdata=b'\\x04')\n"  # the encap limit, as Linux sets it
                           f"send(IPv6(src='{T.KB4}',dst='{T.T6}')/IPv6ExtHdrDestOpt(options=[opt,PadN(optdata=b'\\x00')])/"
                           f"IP(src='{T.K4}',dst='{T.H4}')/ICMP(id=77,seq=1), iface='k0')\n"
                           f"sn.join()\n"
                           f"ok=[p for p in sn.results if ICMP in p and p[ICMP].type==0 and p[ICMP].id==77]\n"
                           f"print('answered' if ok else 'no answer')")
        c.check("a node adding the encap-limit destination option is served (echo answered)",
                "answered" in probe.stdout, probe.stdout + probe.stderr[-300:])

        # A dataplane restart: the agent sees the new generation and replays the set.
        topo.stop("dataplane", sig=signal.SIGKILL)
        topo.start_dataplane()
        c.check("after a dataplane kill -9 and restart, the client's node is forwarded again (agent resync)",
                topo.wait_ping("node", T.H4))
        c.check("and so is the kernel node", topo.wait_ping("node2", T.H4))

        # Lease expiry: the client dies without a word, stops renewing; at the end of the
        # lifetime the server deletes the mapping at the TEP, which drops what still comes.
        topo.stop("client", sig=signal.SIGKILL)
        T.Topology.wait(lambda: not json.loads(topo.dstmctl("-j", "show", "leases", server=True).stdout)["items"],
                        LIFETIME + 10, "the lease to expire")
        mappings = json.loads(topo.dstmctl("-j", "show", "mappings").stdout)["items"]
        c.check("an expired lease leaves the TEP's table", all(m["ipv4"] != leased for m in mappings),
                str(mappings))
        c.check("packets of the expired lease are dropped and counted at the TEP",
                expect_drops(topo, "drop-no-source-softwire-ipv6", lambda: scapy_send(
                    topo, "node", f"send(IPv6(src='{T.C6}',dst='{T.T6}',nh=4)/"
                                  f"IP(src='{leased}',dst='{T.H4}')/ICMP(), iface='c0', count=2)")))
        # The killed client could not clean up; the next one takes the node over.
        T.ns(topo.n("node"), "ip", "link", "del", "dstm0", check=False)

        # The operator ends a lease: Tunnel Delete on the node's kept-open session and to the
        # TEP; the client tears its DTI down and leaves the node as it found it.
        routes_before = T.ns(topo.n("node"), "ip", "-4", "route").stdout
        start_client(topo)
        c.check("a new client gets a lease again", topo.wait_ping("node", T.H4, tries=60))
        leased = leased_ipv4(topo)
        r = topo.dstmctl("lease", "release", leased, server=True, check=False)
        c.check("dstmctl --server lease release ends the lease", r.returncode == 0, r.stderr)
        T.Topology.wait(lambda: "dstm0" not in T.ns(topo.n("node"), "ip", "-br", "link").stdout, 10,
                        "the client to remove its DTI")
        c.check("the client removed its DTI and routes after the Tunnel Delete",
                T.ns(topo.n("node"), "ip", "-4", "route").stdout == routes_before)
        mappings = json.loads(topo.dstmctl("-j", "show", "mappings").stdout)["items"]
        c.check("the TEP no longer maps the released address", all(m["ipv4"] != leased for m in mappings),
                str(mappings))
        topo.stop("client")

        # The path goes away with the operator's mapping too.
        topo.dstmctl("mapping", "del", T.K4, check=False)
        c.check("without its mapping the kernel node's pings fail and are counted",
                expect_drops(topo, "drop-no-source-softwire-ipv6",
                             lambda: topo.ping("node2", T.H4, count=2)))
    except Exception as e:  # noqa: BLE001  (report, then clean up)
        c.check("the system came up and the cases ran", False, f"{type(e).__name__}: {e}")
        for name in ("agent", "dataplane", "server", "client"):
            print(f"--- {name} log ---\n{topo.log(name)[-1500:]}")
    finally:
        topo.down()
    print(f"e2e: {c.passed} passed, {c.failed} failed")
    return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

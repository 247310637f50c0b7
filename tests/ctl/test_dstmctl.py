#!/usr/bin/python3
"""dstmctl against fake daemons on temporary Unix sockets (controlplane/ctl/PROTOCOL.md).

Each case runs the real dstmctl binary, checks the exact request the fake daemon received, the
rendered output (table, JSON or Prometheus text) and the exit status. Ends with
"ctl: N passed, M failed" (scripts/test counts it); exit status 0 only when nothing failed.

Usage: test_dstmctl.py PATH/TO/dstmctl [-v]
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
COMPLETION_FILE = os.path.join(ROOT, "controlplane", "ctl", "dstmctl.bash-completion")


class FakeDaemon:
    """Accepts connections, records each request line, answers from `answers` by cmd.

    An answer is a dict (sent as {"ok": true, "result": dict}), ("error", msg[, code]),
    ("raw", bytes) sent verbatim before closing, ("close",) to close without answering, or
    ("silent",) to never answer.
    """

    def __init__(self, path):
        self.path = path
        self.answers = {}
        self.requests = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(16)
        self.stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn):
        buf = b""
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    self.requests.append(line.decode())
                    req = json.loads(line)
                    answer = self.answers.get(req.get("cmd"), ("error", "unknown command"))
                    if isinstance(answer, dict) or isinstance(answer, list):
                        out = json.dumps({"ok": True, "result": answer}).encode() + b"\n"
                    elif answer[0] == "error":
                        body = {"ok": False, "error": answer[1]}
                        if len(answer) > 2:
                            body["code"] = answer[2]
                        out = json.dumps(body).encode() + b"\n"
                    elif answer[0] == "raw":
                        conn.sendall(answer[1])
                        return  # and close: the client must not wait for more
                    elif answer[0] == "close":
                        return
                    else:  # silent
                        time.sleep(5)
                        return
                    conn.sendall(out)

    def close(self):
        self.stop = True
        self.sock.close()


STATUS = {
    "agent": {"version": "0.1.0", "pid": 812, "generation": 3, "uptime_s": 90061,
              "tsp_sessions": 2},
    "dataplane": {"attached": True, "generation": 7, "pid": 790, "heartbeat_age_ms": 4,
                  "applied_sequence": 1042, "next_sequence": 1043,
                  "lcores": [{"lcore": 1, "rx_pps": 1480000.0, "tx_pps": 1479000.5},
                             {"lcore": 2, "rx_pps": 950, "tx_pps": 12500}]},
    "mappings": 1042,
    "pools": [{"prefix": "192.0.2.0/24", "size": 256, "used": 17},
              {"prefix": "198.51.100.0/22", "size": 1024, "used": 1025}],
    "tsp": {"creates": 5, "rejected": 1},
}
STATUS_TABLE = """\
agent      version 0.1.0, pid 812, generation 3, up 1d 1h 1m, 2 TSP sessions
dataplane  attached, pid 790, generation 7, heartbeat 4 ms ago
sequence   applied 1042, next 1043, 0 pending
mappings   1042
tsp        creates 5, rejected 1

LCORE         RX         TX
    1  1.48 Mpps  1.48 Mpps
    2    950 pps  12.5 kpps

POOL             SIZE  USED   USED%
192.0.2.0/24      256    17    6.6%
198.51.100.0/22  1024  1025  100.1%
"""
MAPPINGS = {"total": 5, "offset": 2, "items": [
    {"ipv4": "192.0.2.3", "ipv6": "2001:db8::3", "origin": "tsp", "since": 1795683600},
    {"ipv4": "192.0.2.40", "ipv6": "2001:db8:1:2:3:4:5:6", "origin": "static", "since": 0}]}
MAPPINGS_TABLE = """\
IPV4        IPV6                  ORIGIN  SINCE
192.0.2.3   2001:db8::3           tsp     2026-11-26 09:00:00Z
192.0.2.40  2001:db8:1:2:3:4:5:6  static  1970-01-01 00:00:00Z
3-4 of 5 mappings (next page: --offset 4)
"""
COUNTERS = {"counters": [
    {"name": "in-ipv6", "description": "IPv6 packets received on the node side",
     "packets": 123456789, "bytes": 1610612736},
    {"name": "drop-no-source-softwire-ipv6", "description": "decap: inner IPv4 source has no mapping",
     "packets": 0, "bytes": 0},
    {"name": "weird \"name\"\\", "description": "for escaping", "packets": 1, "bytes": 1000}]}
COUNTERS_TABLE = """\
COUNTER                         PACKETS    BYTES  DESCRIPTION
in-ipv6                       123456789  1.5 GiB  IPv6 packets received on the node side
drop-no-source-softwire-ipv6          0      0 B  decap: inner IPv4 source has no mapping
weird "name"\\                         1   1000 B  for escaping
"""
METRICS = """\
# HELP dstm_dataplane_packets_total Packets counted by dstm-dataplane, by counter (dataplane/counters.def).
# TYPE dstm_dataplane_packets_total counter
dstm_dataplane_packets_total{counter="in-ipv6"} 123456789
dstm_dataplane_packets_total{counter="drop-no-source-softwire-ipv6"} 0
dstm_dataplane_packets_total{counter="weird \\"name\\"\\\\"} 1
# HELP dstm_dataplane_bytes_total Bytes counted by dstm-dataplane, by counter (dataplane/counters.def).
# TYPE dstm_dataplane_bytes_total counter
dstm_dataplane_bytes_total{counter="in-ipv6"} 1610612736
dstm_dataplane_bytes_total{counter="drop-no-source-softwire-ipv6"} 0
dstm_dataplane_bytes_total{counter="weird \\"name\\"\\\\"} 1000
# HELP dstm_agent_info dstm-agent's version, as a label; always 1.
# TYPE dstm_agent_info gauge
dstm_agent_info{version="0.1.0"} 1
# HELP dstm_agent_uptime_seconds Seconds since dstm-agent started.
# TYPE dstm_agent_uptime_seconds gauge
dstm_agent_uptime_seconds 90061
# HELP dstm_agent_generation dstm-agent's generation (it changes when the agent restarts).
# TYPE dstm_agent_generation gauge
dstm_agent_generation 3
# HELP dstm_agent_tsp_sessions Open TSP sessions from DSTM servers.
# TYPE dstm_agent_tsp_sessions gauge
dstm_agent_tsp_sessions 2
# HELP dstm_dataplane_attached 1 when dstm-agent is attached to a running dstm-dataplane.
# TYPE dstm_dataplane_attached gauge
dstm_dataplane_attached 1
# HELP dstm_dataplane_generation dstm-dataplane's generation (it changes when the dataplane restarts).
# TYPE dstm_dataplane_generation gauge
dstm_dataplane_generation 7
# HELP dstm_dataplane_heartbeat_age_seconds Seconds since dstm-dataplane's last heartbeat.
# TYPE dstm_dataplane_heartbeat_age_seconds gauge
dstm_dataplane_heartbeat_age_seconds 0.004
# HELP dstm_dataplane_applied_sequence The last mapping update sequence the dataplane applied.
# TYPE dstm_dataplane_applied_sequence gauge
dstm_dataplane_applied_sequence 1042
# HELP dstm_dataplane_next_sequence The sequence dstm-agent gives its next update.
# TYPE dstm_dataplane_next_sequence gauge
dstm_dataplane_next_sequence 1043
# HELP dstm_dataplane_lcore_rx_packets_per_second Packets received per second, by worker lcore.
# TYPE dstm_dataplane_lcore_rx_packets_per_second gauge
dstm_dataplane_lcore_rx_packets_per_second{lcore="1"} 1480000
dstm_dataplane_lcore_rx_packets_per_second{lcore="2"} 950
# HELP dstm_dataplane_lcore_tx_packets_per_second Packets sent per second, by worker lcore.
# TYPE dstm_dataplane_lcore_tx_packets_per_second gauge
dstm_dataplane_lcore_tx_packets_per_second{lcore="1"} 1479000.5
dstm_dataplane_lcore_tx_packets_per_second{lcore="2"} 12500
# HELP dstm_mappings IPv4 -> IPv6 mappings dstm-agent holds.
# TYPE dstm_mappings gauge
dstm_mappings 1042
# HELP dstm_pool_size_addresses Addresses in each pool.
# TYPE dstm_pool_size_addresses gauge
dstm_pool_size_addresses{prefix="192.0.2.0/24"} 256
dstm_pool_size_addresses{prefix="198.51.100.0/22"} 1024
# HELP dstm_pool_used_addresses Mapped addresses in each pool.
# TYPE dstm_pool_used_addresses gauge
dstm_pool_used_addresses{prefix="192.0.2.0/24"} 17
dstm_pool_used_addresses{prefix="198.51.100.0/22"} 1025
"""
LEASES = {"total": 1, "offset": 0, "items": [
    {"ipv4": "192.0.2.9", "ipv6": "2001:db8::9", "identity": "node7", "expires": 1795687200,
     "state": "active"}]}
LEASES_TABLE = """\
IPV4       IPV6         IDENTITY  EXPIRES               STATE
192.0.2.9  2001:db8::9  node7     2026-11-26 10:00:00Z  active
1-1 of 1 leases
"""
POOLS = {"pools": [{"prefix": "192.0.2.0/24", "size": 256, "used": 10, "excluded": 2}]}
POOLS_TABLE = """\
POOL          SIZE  USED  EXCLUDED  FREE
192.0.2.0/24   256    10         2   244
"""
TEPS = {"teps": [{"name": "tep1", "endpoint": "[2001:db8::1]:3653", "state": "up", "mappings": 10}]}
TEPS_TABLE = """\
TEP   ENDPOINT            STATE  MAPPINGS
tep1  [2001:db8::1]:3653  up           10
"""
SESSIONS = {"sessions": [{"peer": "[2001:db8::9]:40000", "identity": "node7",
                          "since": 1795683600, "state": "established"}]}
SESSIONS_TABLE = """\
PEER                 IDENTITY  SINCE                 STATE
[2001:db8::9]:40000  node7     2026-11-26 09:00:00Z  established
"""
SERVER_STATUS = {"server": {"version": "0.1.0", "leases": 10}, "teps": [{"name": "tep1", "state": "up"}]}
SERVER_STATUS_TABLE = """\
server.version  0.1.0
server.leases   10

teps:
NAME  STATE
tep1  up
"""


class Runner:
    def __init__(self, binary, verbose):
        self.binary = binary
        self.verbose = verbose
        self.passed = 0
        self.failed = 0
        self.tmp = tempfile.mkdtemp(prefix="dstmctl-test-")
        self.agent = FakeDaemon(os.path.join(self.tmp, "agent.sock"))
        self.server = FakeDaemon(os.path.join(self.tmp, "server.sock"))
        self.env = dict(os.environ)
        self.env.pop("DSTM_AGENT_SOCKET", None)
        self.env.pop("DSTM_SERVER_SOCKET", None)

    def run(self, *args, env=None):
        argv = [self.binary, "--agent-socket", self.agent.path, "--server-socket",
                self.server.path] + list(args)
        p = subprocess.run(argv, capture_output=True, text=True, env=env or self.env, timeout=30)
        return p.returncode, p.stdout, p.stderr

    def case(self, name, args, rc=0, stdout=None, stderr_has=None, agent=None, server=None,
             raw_args=False, env=None):
        """Runs dstmctl; `agent`/`server` are the exact requests each daemon must receive."""
        self.agent.requests.clear()
        self.server.requests.clear()
        if raw_args:
            p = subprocess.run([self.binary] + args, capture_output=True, text=True,
                               env=env or self.env, timeout=30)
            got_rc, out, err = p.returncode, p.stdout, p.stderr
        else:
            got_rc, out, err = self.run(*args, env=env)
        problems = []
        if got_rc != rc:
            problems.append(f"exit status {got_rc}, expected {rc}")
        if stdout is not None:
            if callable(stdout):
                why = stdout(out)
                if why:
                    problems.append(why)
            elif out != stdout:
                problems.append(f"stdout:\n{out}\nexpected:\n{stdout}")
        for needle in ([stderr_has] if isinstance(stderr_has, str) else stderr_has or []):
            if needle not in err:
                problems.append(f"stderr lacks {needle!r}: {err!r}")
        for daemon, expected in ((self.agent, agent), (self.server, server)):
            got = [json.loads(r) for r in daemon.requests]
            want = expected or []
            if got != want:
                problems.append(f"{os.path.basename(daemon.path)} received {got}, expected {want}")
            # One line per request, compact.
            for r in daemon.requests:
                if "\n" in r or ": " in r:
                    problems.append(f"request not compact: {r!r}")
        if problems:
            self.failed += 1
            print(f"FAIL {name}: dstmctl {' '.join(args)}")
            for p in problems:
                print("    " + p.replace("\n", "\n    "))
            if err:
                print("    stderr: " + err.strip())
        else:
            self.passed += 1
            if self.verbose:
                print(f"ok   {name}")


def req(cmd, **args):
    return {"cmd": cmd, "args": args}


def check_json(expected):
    def check(out):
        try:
            got = json.loads(out)
        except ValueError as e:
            return f"stdout is not JSON ({e}): {out!r}"
        return None if got == expected else f"JSON {got} != {expected}"
    return check


def check_exposition(out, expected=METRICS):
    """The text format's rules node_exporter's textfile collector enforces."""
    if out != expected:
        return f"metrics:\n{out}\nexpected:\n{expected}"
    seen, current = set(), None
    sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"\})? '
                        r'(-?[0-9.e+]+|NaN)$')
    for line in out.splitlines():
        if line.startswith("# HELP "):
            name = line.split()[2]
            if name in seen:
                return f"family {name} repeated"
            seen.add(name)
            current = name
        elif line.startswith("# TYPE "):
            if line.split()[2] != current or line.split()[3] not in ("counter", "gauge"):
                return f"bad TYPE line {line!r}"
        else:
            m = sample.match(line)
            if not m or m.group(1) != current:
                return f"bad sample line {line!r}"
            if m.group(1).endswith("_total") != (m.group(1) in
                                                 ("dstm_dataplane_packets_total",
                                                  "dstm_dataplane_bytes_total")):
                return f"counter naming {line!r}"
    return None


def bash_complete(words):
    """What the checked-in completion offers after `words` (the last one being completed)."""
    script = (f'source "{COMPLETION_FILE}"; COMP_WORDS=({" ".join(repr(w) for w in words)}); '
              f'COMP_CWORD={len(words) - 1}; _dstmctl; echo "${{COMPREPLY[*]}}"')
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True).stdout.strip()


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    t = Runner(os.path.abspath(sys.argv[1]), "-v" in sys.argv[2:])
    a, s = t.agent, t.server
    a.answers = {"status": STATUS, "mappings": MAPPINGS, "counters": COUNTERS,
                 "mapping.add": {"applied_sequence": 1043}, "mapping.del": {"applied_sequence": 1044},
                 "counters.clear": {}, "reload": {"changed": ["log_level", "tsp.allow"]}}
    s.answers = {"leases": LEASES, "pools": POOLS, "lease.release": {}, "teps": TEPS,
                 "sessions": SESSIONS, "status": SERVER_STATUS, "counters": {"counters": []},
                 "counters.clear": {}, "reload": {"changed": []}}

    # Agent commands: request, table, JSON.
    t.case("show status", ["show", "status"], stdout=STATUS_TABLE, agent=[req("status")])
    t.case("show status -j", ["-j", "show", "status"], stdout=check_json(STATUS),
           agent=[req("status")])
    a.answers["status"] = dict(STATUS, dataplane={"attached": False, "generation": 6,
                                                  "applied_sequence": 10, "next_sequence": 15},
                               pools=[], tsp=None)
    t.case("show status, dataplane detached", ["show", "status"], agent=[req("status")], stdout="""\
agent      version 0.1.0, pid 812, generation 3, up 1d 1h 1m, 2 TSP sessions
dataplane  NOT ATTACHED (last generation 6)
sequence   applied 10, next 15, 4 pending
mappings   1042
tsp        -
""")
    a.answers["status"] = STATUS
    t.case("global option after the command", ["show", "status", "--json"],
           stdout=check_json(STATUS), agent=[req("status")])
    t.case("show mappings, paged", ["show", "mappings", "--offset", "2", "--limit", "2"],
           stdout=MAPPINGS_TABLE, agent=[req("mappings", offset=2, limit=2)])
    t.case("show mappings ipv4", ["show", "mappings", "ipv4", "192.0.2.3"], stdout=MAPPINGS_TABLE,
           agent=[req("mappings", ipv4="192.0.2.3")])
    t.case("show mappings ipv6 (sent canonical)", ["show", "mappings", "ipv6", "2001:DB8:0:0::3"],
           stdout=MAPPINGS_TABLE, agent=[req("mappings", ipv6="2001:db8::3")])
    a.answers["mappings"] = {"total": 0, "offset": 0, "items": []}
    t.case("show mappings, none", ["show", "mappings"], stdout="no mappings (0 in all)\n",
           agent=[req("mappings")])
    a.answers["mappings"] = MAPPINGS
    t.case("show counters", ["show", "counters"], stdout=COUNTERS_TABLE, agent=[req("counters")])
    t.case("show counters FILTER --all", ["show", "counters", "drop", "--all"],
           stdout=COUNTERS_TABLE, agent=[req("counters", filter="drop", all=True)])
    t.case("show counters -j", ["show", "counters", "-j"], stdout=check_json(COUNTERS),
           agent=[req("counters")])
    t.case("mapping add", ["mapping", "add", "192.0.2.9", "2001:db8:0::9"],
           stdout="mapping 192.0.2.9 -> 2001:db8::9 applied (sequence 1043)\n",
           agent=[req("mapping.add", ipv4="192.0.2.9", ipv6="2001:db8::9")])
    t.case("mapping del", ["mapping", "del", "192.0.2.9"],
           stdout="mapping 192.0.2.9 removed (sequence 1044)\n",
           agent=[req("mapping.del", ipv4="192.0.2.9")])
    t.case("clear counters", ["clear", "counters"], stdout="counters cleared\n",
           agent=[req("counters.clear")])
    t.case("reload", ["reload"], stdout="configuration reloaded; changed: log_level tsp.allow\n",
           agent=[req("reload")])
    t.case("metrics --format prometheus", ["metrics", "--format", "prometheus"],
           stdout=check_exposition, agent=[req("status"), req("counters", all=True)])

    # Server commands.
    t.case("show leases FILTER", ["show", "leases", "node7"], stdout=LEASES_TABLE,
           server=[req("leases", filter="node7")])
    t.case("show leases paged", ["show", "leases", "--offset", "0", "--limit", "1"],
           stdout=LEASES_TABLE, server=[req("leases", offset=0, limit=1)])
    t.case("show pools", ["show", "pools"], stdout=POOLS_TABLE, server=[req("pools")])
    t.case("lease release", ["lease", "release", "192.0.2.9"], stdout="lease 192.0.2.9 released\n",
           server=[req("lease.release", ipv4="192.0.2.9")])
    t.case("show teps", ["show", "teps"], stdout=TEPS_TABLE, server=[req("teps")])
    t.case("show sessions", ["show", "sessions"], stdout=SESSIONS_TABLE, server=[req("sessions")])
    t.case("show sessions -j", ["-j", "show", "sessions"], stdout=check_json(SESSIONS),
           server=[req("sessions")])
    t.case("--server show status", ["--server", "show", "status"], stdout=SERVER_STATUS_TABLE,
           server=[req("status")])
    t.case("--server reload", ["--server", "reload"],
           stdout="configuration reloaded: nothing changed\n", server=[req("reload")])
    t.case("--server show counters, none", ["--server", "show", "counters"],
           stdout="no counters to show (zero counters are hidden; --all shows them)\n",
           server=[req("counters")])

    # Error answers: exit 1, the daemon's message (and code) on stderr, nothing on stdout.
    a.answers["mapping.add"] = ("error", "192.0.2.9 is mapped to 2001:db8::8", 308)
    t.case("error answer with code", ["mapping", "add", "192.0.2.9", "2001:db8::9"], rc=1,
           stdout="", stderr_has="dstm-agent: 192.0.2.9 is mapped to 2001:db8::8 (code 308)",
           agent=[req("mapping.add", ipv4="192.0.2.9", ipv6="2001:db8::9")])
    s.answers["lease.release"] = ("error", "no lease for 192.0.2.10")
    t.case("error answer without code", ["lease", "release", "192.0.2.10"], rc=1, stdout="",
           stderr_has="dstm-server: no lease for 192.0.2.10\n",
           server=[req("lease.release", ipv4="192.0.2.10")])
    a.answers["counters"] = ("error", "no dataplane statistics")
    t.case("metrics without dataplane counters", ["metrics", "--format", "prometheus"],
           stdout=lambda o: check_exposition(o, METRICS[METRICS.index("# HELP dstm_agent_info"):]),
           stderr_has="warning: dstm-agent: no dataplane statistics (counters left out)",
           agent=[req("status"), req("counters", all=True)])
    a.answers["status"] = ("error", "busy", 530)
    t.case("metrics, error answer to status", ["metrics", "--format", "prometheus"], rc=1,
           stdout="", stderr_has="dstm-agent: busy (code 530)", agent=[req("status")])
    a.answers["status"] = ("raw", b"this is not json\n")
    t.case("invalid answer", ["show", "status"], rc=1, stdout="",
           stderr_has="sent an invalid answer: offset 0", agent=[req("status")])
    a.answers["status"] = ("raw", b'{"ok":true}\n')
    t.case("answer without result", ["show", "status"], rc=1,
           stderr_has="without \"result\"", agent=[req("status")])
    a.answers["status"] = ("raw", b'{"ok":true,"result":{}}')  # and closes: no newline
    t.case("answer line not terminated", ["show", "status"], rc=1,
           stderr_has="not terminated by a newline", agent=[req("status")])
    a.answers["status"] = ("close",)
    t.case("closed without answering", ["show", "status"], rc=3,
           stderr_has="closed the connection without answering", agent=[req("status")])
    a.answers["reload"] = ("silent",)
    t.case("no answer in time", ["--timeout", "300", "reload"], rc=3,
           stderr_has="did not answer within 300 ms", agent=[req("reload")])

    # Unreachable daemons: exit 3, naming the socket.
    missing = os.path.join(t.tmp, "missing.sock")
    t.case("agent unreachable", ["--agent-socket", missing, "show", "status"], rc=3, stdout="",
           stderr_has=[f"cannot connect to dstm-agent at {missing}", "is dstm-agent running?"])
    t.case("server unreachable", ["--server-socket", missing, "show", "pools"], rc=3,
           stderr_has=[f"cannot connect to dstm-server at {missing}", "DSTM_SERVER_SOCKET"])
    refused = os.path.join(t.tmp, "refused.sock")
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(refused)  # bound, never listening: ECONNREFUSED
    t.case("connection refused", ["--agent-socket", refused, "reload"], rc=3,
           stderr_has="Connection refused")
    env = dict(t.env, DSTM_AGENT_SOCKET=t.agent.path)
    a.answers["status"] = STATUS
    t.case("DSTM_AGENT_SOCKET", ["show", "status"], raw_args=True, env=env, stdout=STATUS_TABLE,
           agent=[req("status")])

    # Usage errors: exit 2, nothing sent.
    for name, args, msg in [
        ("bad IPv4", ["mapping", "add", "192.0.2.256", "2001:db8::1"], "'192.0.2.256' is not an IPv4"),
        ("bad IPv6", ["mapping", "add", "192.0.2.1", "2001:db8::g"], "'2001:db8::g' is not an IPv6"),
        ("IPv6 where IPv4 belongs", ["mapping", "del", "2001:db8::1"], "is not an IPv4"),
        ("bad keyword address", ["show", "mappings", "ipv4", "01.2.3.4"], "is not an IPv4"),
        ("lease release bad address", ["lease", "release", "node7"], "is not an IPv4"),
        ("both selectors", ["show", "mappings", "ipv4", "192.0.2.1", "ipv6", "::1"], "not both"),
        ("keyword without value", ["show", "mappings", "ipv4"], "'ipv4' needs a value"),
        ("unknown keyword", ["show", "mappings", "mac", "x"], "unexpected 'mac'"),
        ("bad --limit", ["show", "mappings", "--limit", "-1"], ""),
        ("non-numeric --offset", ["show", "mappings", "--offset", "ten"], "not a non-negative integer"),
        ("missing argument", ["mapping", "add", "192.0.2.1"], "V6"),
        ("extra argument", ["show", "status", "now"], "now"),
        ("unknown command", ["shwo", "status"], "unknown command 'shwo'"),
        ("unknown subcommand", ["show", "lease"], "unknown command 'lease' after 'show'"),
        ("no command", [], "needs a command"),
        ("group without command", ["show"], "'show' needs one of: status mappings"),
        ("unknown option", ["show", "status", "--bogus"], "--bogus"),
        ("metrics without --format", ["metrics"], "--format"),
        ("metrics unknown format", ["metrics", "--format", "json"], "one of: prometheus"),
        ("metrics -j", ["-j", "metrics", "--format", "prometheus"], "-j does not apply"),
        ("agent-only command with --server", ["--server", "mapping", "del", "192.0.2.1"],
         "dstm-agent only"),
        ("bad --timeout", ["--timeout", "0", "show", "status"], "--timeout"),
    ]:
        t.case(name, args, rc=2, stdout="", stderr_has=msg)

    # Help and completion.
    t.case("--help", ["--help"], stdout=lambda o: None if all(
        w in o for w in ("EXIT STATUS", "DSTM_AGENT_SOCKET", "show", "metrics", "--json"))
        else f"help lacks a section: {o}")
    t.case("show mappings --help", ["show", "mappings", "--help"],
           stdout=lambda o: None if "--offset" in o and "ipv4 A" in o else f"help: {o}")
    # config check: the daemons' own parsers, no request to any daemon.
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    for kind, example in (("agent", "controlplane/agent/dstm-agent.example.toml"),
                          ("server", "controlplane/server/dstm-server.example.toml"),
                          ("dataplane", "dataplane/dstm-dataplane.example.toml")):
        path = os.path.join(root, example)
        t.case(f"config check of the {kind} example", ["config", "check", path],
               stdout=f"{path}: OK ({kind})\n")
    bad = os.path.join(t.tmp, "bad-agent.toml")
    with open(bad, "w") as f:
        f.write('[tsp]\nusers_file = "u"\nallow = ["::1/128"]\n[tep]\nipv4 = "192.0.2.1"\n'
                'ipv6 = "2001:db8::1"\npools = ["10.0.0.0/8"]\n[store]\npathh = "x"\n')
    t.case("config check: first error as FILE:LINE: KEY", ["config", "check", bad], rc=1,
           stdout="", stderr_has=f"{bad}:9: store.pathh: unknown key in [store]")
    t.case("config check --kind server on an agent file", ["config", "check", bad, "--kind", "server"],
           rc=1, stdout="", stderr_has=f"{bad}:")
    t.case("config check of a missing file", ["config", "check", bad + ".none"], rc=1,
           stderr_has="cannot read")
    t.case("config check --kind must be a known daemon", ["config", "check", bad, "--kind", "client"],
           rc=2, stderr_has="one of")

    with open(COMPLETION_FILE) as f:
        checked_in = f.read()
    t.case("completion bash matches the checked-in file", ["completion", "bash"], stdout=checked_in)
    for words, offers in [
        (["dstmctl", "sh"], "show"),
        (["dstmctl", "show", "m"], "mappings"),
        (["dstmctl", "-j", "show", "st"], "status"),
        (["dstmctl", "--agent-socket", "x", "mapping", ""], "add del"),
        (["dstmctl", "show", "mappings", "--"], "--help --limit --offset"),
        (["dstmctl", "metrics", "--format", ""], "prometheus"),
        (["dstmctl", "show", "counters", "--a"], "--all"),
    ]:
        got = bash_complete(words)
        if got == offers:
            t.passed += 1
        else:
            t.failed += 1
            print(f"FAIL completion of {words}: {got!r}, expected {offers!r}")

    a.close()
    s.close()
    dead.close()
    shutil.rmtree(t.tmp, ignore_errors=True)
    print(f"ctl: {t.passed} passed, {t.failed} failed")
    return 0 if t.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

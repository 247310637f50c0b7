#!/usr/bin/python3
"""Integration tests of the control plane: dstm-server, dstm-agent and dstmctl as real processes
on loopback, with tests/tools/fake_dataplane as the dataplane's side of the agent's ring and
tests/tools/tsp_request as DSTM nodes (issues #4 and #5).

Every case starts its own processes in its own temporary directory (free ports, unique
shared-memory names) and cleans them up, failed or not. A case asserts what a node, the agent,
the dataplane's table and dstmctl see; a failure prints what differed.

usage: run.py BUILD_DIR [CASE_SUBSTRING ...] [--keep] [-v] [--list]
The last line is "controlplane: N passed, M failed".
"""
import argparse
import json
import os
import queue
import random
import re
import shutil
import signal
import socket
import struct
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback

SERVER_POOL = "10.64.0.0/24"
AGENT_POOLS = ["10.64.0.0/16"]
TEP_V4, TEP_V6 = "192.0.2.1", "2001:db8:1::1"
DNS = "2001:db8::53"
TEP_USER, TEP_PASSWORD = "server1", "tep-secret-1"
NODES = {f"node{i}": f"node-password-{i}" for i in range(1, 6)}

BUILD = None
VERBOSE = False
KEEP = False


class Failure(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


def eq(actual, expected, what):
    if actual != expected:
        raise Failure(f"{what}: expected {expected!r}, got {actual!r}")


def log(msg):
    if VERBOSE:
        print(f"    [{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def wait_for(pred, timeout, what, describe=None, interval=0.02):
    """Polls pred() until it returns a true value (returned), or fails after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            state = f" (last state: {describe()})" if describe else ""
            raise Failure(f"timed out after {timeout} s waiting for {what}{state}")
        time.sleep(interval)


def tool(rel):
    return os.path.join(BUILD, rel)


def free_port():
    """A port free for TCP and UDP on 127.0.0.1 right now (the daemons are retried on a clash)."""
    for _ in range(50):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            u.close()
            t.close()
    raise Failure("no free port")


_passwd_cache = {}


def users_line(user, password):
    if (user, password) not in _passwd_cache:
        r = subprocess.run([tool("controlplane/passwd/dstm-passwd"), user], input=password + "\n",
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 0, f"dstm-passwd {user}: exit {r.returncode}: {r.stderr}")
        _passwd_cache[(user, password)] = r.stdout.strip()
    return _passwd_cache[(user, password)]


class Env:
    """One case's temporary directory, processes and shared-memory segments."""

    def __init__(self, name):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="dstm-it-")
        self.procs = []
        self.shms = []
        self.count = 0

    def path(self, name):
        return os.path.join(self.dir, name)

    def unique(self, stem):
        self.count += 1
        return f"{stem}{self.count}"

    def shm_name(self):
        name = f"dstm-it-{os.getpid()}-{self.unique('s')}-{random.randrange(1 << 30)}"
        self.shms.append(name)
        return name

    def spawn(self, args, log_name, **kw):
        out = open(self.path(log_name), "ab")
        out.write(f"--- {' '.join(args)}\n".encode())
        out.flush()
        p = subprocess.Popen(args, stdout=kw.pop("stdout", out), stderr=out, stdin=subprocess.DEVNULL, **kw)
        out.close()
        p.dstm_label = f"{os.path.basename(args[0])} ({log_name})"
        self.procs.append(p)
        return p

    def process_states(self):
        """Each process the case started: still running, or how it ended (a crash shows here)."""
        return ", ".join(f"{p.dstm_label} pid {p.pid} " + ("running" if p.poll() is None else f"exit {p.returncode}")
                         for p in self.procs if not p.dstm_label.startswith("tsp_request"))

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()  # by pid: only what this case started
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        for name in self.shms:
            for n in (name, name + "-stats"):
                try:
                    os.unlink("/dev/shm/" + n)
                except FileNotFoundError:
                    pass
        if KEEP:
            print(f"    kept {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def tail(self, log_name, lines=15):
        try:
            with open(self.path(log_name), errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except FileNotFoundError:
            return ""


def run_ctl(args, timeout=15):
    r = subprocess.run([tool("controlplane/ctl/dstmctl")] + args, capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


class Daemon:
    """A dstm-agent or dstm-server: config file, start (retried on a port clash), kill, ctl."""

    binary = None
    label = None

    def __init__(self, env):
        self.env = env
        self.proc = None
        self.port = free_port()
        self.name = env.unique(self.label)
        self.config_path = env.path(self.name + ".toml")
        self.socket = env.path(self.name + ".sock")
        self.log = self.name + ".log"

    def config_text(self):
        raise NotImplementedError

    def ctl_args(self):
        raise NotImplementedError

    def write_config(self):
        with open(self.config_path, "w") as f:
            f.write(self.config_text())

    def start(self, timeout=15):
        for _ in range(5):
            self.write_config()
            self.proc = self.env.spawn([tool(self.binary), "--config", self.config_path], self.log)
            try:
                wait_for(lambda: self.proc.poll() is not None or run_ctl(self.ctl_args() + ["show", "status"])[0] == 0,
                         timeout, f"{self.label} control socket")
            except Failure:
                raise Failure(f"{self.label} did not come up; its log:\n{self.env.tail(self.log)}")
            if self.proc.poll() is None:
                return self
            if "in use" in self.env.tail(self.log, 5):
                self.port = free_port()  # lost a race for the port: try another
                continue
            raise Failure(f"{self.label} exited {self.proc.returncode} at start:\n{self.env.tail(self.log)}")
        raise Failure(f"{self.label}: no free port after 5 tries")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise Failure(f"{self.label} did not stop on SIGTERM")
        eq(rc, 0, f"{self.label} exit status on SIGTERM")

    def ctl(self, *args):
        rc, out, err = run_ctl(self.ctl_args() + ["-j"] + list(args))
        check(rc == 0, f"dstmctl {' '.join(self.ctl_args() + list(args))}: exit {rc}: {err.strip()}")
        return json.loads(out)

    def status(self):
        return self.ctl("show", "status")


class Agent(Daemon):
    binary = "controlplane/agent/dstm-agent"
    label = "agent"

    def __init__(self, env, allow=("127.0.0.0/8",), apply_timeout_ms=600, shm=None, extra_tsp=""):
        super().__init__(env)
        self.allow = list(allow)
        self.extra_tsp = extra_tsp
        self.apply_timeout_ms = apply_timeout_ms
        self.shm = shm or env.shm_name()
        self.users = env.path(self.name + "-users")
        self.store = env.path(self.name + ".db")
        with open(self.users, "w") as f:
            f.write(users_line(TEP_USER, TEP_PASSWORD) + "\n")

    def config_text(self):
        return f"""[tsp]
listen = ["127.0.0.1:{self.port}"]
udp = false
users_file = "{self.users}"
allow = {json.dumps(self.allow)}
{self.extra_tsp}
[tep]
ipv4 = "{TEP_V4}"
ipv6 = "{TEP_V6}"
pools = {json.dumps(AGENT_POOLS)}
[store]
path = "{self.store}"
[dataplane]
shm = "{self.shm}"
ring_capacity = 1024
apply_timeout_ms = {self.apply_timeout_ms}
[control]
socket = "{self.socket}"
"""

    def ctl_args(self):
        return ["--agent-socket", self.socket]

    def mappings(self):
        r = self.ctl("show", "mappings", "--limit", "10000")
        return {m["ipv4"]: m["ipv6"] for m in r["items"]}

    def tsp(self):
        return self.status()["tsp"]


class Server(Daemon):
    binary = "controlplane/server/dstm-server"
    label = "server"

    def __init__(self, env, agent_port, lifetime=3600, max_lifetime=None, tep_timeout_ms=2000,
                 anonymous=False, extra_tsp="", extra_pool="", pool=SERVER_POOL, extra_tep=""):
        super().__init__(env)
        self.extra_tep = extra_tep
        self.agent_port = agent_port
        self.lifetime = lifetime
        self.max_lifetime = max_lifetime or max(lifetime, 86400)
        self.tep_timeout_ms = tep_timeout_ms
        self.anonymous = anonymous
        self.extra_tsp = extra_tsp
        self.extra_pool = extra_pool
        self.pool = pool
        self.users = env.path(self.name + "-users")
        self.store = env.path(self.name + ".db")
        self.tep_password = env.path(self.name + "-tep-password")
        with open(self.users, "w") as f:
            for user, password in NODES.items():
                f.write(users_line(user, password) + "\n")
        with open(self.tep_password, "w") as f:
            f.write(TEP_PASSWORD + "\n")

    def config_text(self):
        return f"""[tsp]
listen = ["127.0.0.1:{self.port}"]
udp = true
users_file = "{self.users}"
allow_anonymous = {"true" if self.anonymous else "false"}
node_must_match_source = false
dns_servers = ["{DNS}"]
{self.extra_tsp}
[pool]
prefixes = ["{self.pool}"]
default_lifetime = {self.lifetime}
max_lifetime = {self.max_lifetime}
{self.extra_pool}
[[tep]]
name = "tep1"
endpoint = "127.0.0.1:{self.agent_port}"
username = "{TEP_USER}"
password_file = "{self.tep_password}"
timeout_ms = {self.tep_timeout_ms}
{self.extra_tep}
[store]
path = "{self.store}"
[control]
socket = "{self.socket}"
"""

    def ctl_args(self):
        return ["--server-socket", self.socket, "--server"]

    def leases(self):
        r = self.ctl("show", "leases", "--limit", "10000")
        eq(r["total"], len(r["items"]), "show leases total vs items")
        return {l["ipv4"]: l for l in r["items"]}

    def lease_pairs(self):
        return {ip: l["ipv6"] for ip, l in self.leases().items()}

    def counters(self):
        r = self.ctl("show", "counters", "--all")
        return {c["name"]: c["packets"] for c in r["counters"]}

    def store_rows(self):
        """The rows of the lease store (read-only, beside the running server)."""
        db = sqlite3.connect(f"file:{self.store}?mode=ro", uri=True, timeout=5)
        try:
            return db.execute("SELECT COUNT(*) FROM leases").fetchone()[0]
        finally:
            db.close()

    def tep_state(self):
        return self.ctl("show", "teps")["teps"][0]["state"]

    def wait_tep_up(self, timeout=10):
        wait_for(lambda: self.tep_state() == "up", timeout, "the server's TEP session to be up", self.tep_state)


class Dataplane:
    """tests/tools/fake_dataplane: the ring's consumer; its table is read from the dump file."""

    def __init__(self, env, shm):
        self.env = env
        self.shm = shm
        self.dump = env.path(env.unique("dp") + ".table")
        self.proc = env.spawn([tool("tests/tools/fake_dataplane"), shm, "--dump", self.dump], "dataplane.log")

    def table(self):
        try:
            with open(self.dump) as f:
                return dict(line.split() for line in f if line.strip())
        except FileNotFoundError:
            return None

    def wait_table(self, expected, timeout=5, what="the dataplane's table"):
        wait_for(lambda: self.table() == expected, timeout, f"{what} to be {expected}", self.table)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)


REPLY = re.compile(r"^(\d+)(?: (\w+) client=(?:-|(\S+)/(\S+)) server=(?:-|(\S+)/(\S+))(?: lifetime=(\d+))?"
                   r"(?: keepalive=(\d+))?(?: dns=(\S+))?)?$")


def parse_reply(line):
    m = REPLY.match(line.strip())
    if not m:
        return None
    g = m.groups()
    return {"code": int(g[0]), "action": g[1], "client4": g[2], "client6": g[3], "server4": g[4],
            "server6": g[5], "lifetime": int(g[6]) if g[6] else None,
            "keepalive": int(g[7]) if g[7] else None, "dns": g[8]}


def node_args(server, user, password, mechanism, udp, timeout_ms, tls=()):
    args = [tool("tests/tools/tsp_request"), "--connect", f"127.0.0.1:{server.port}", "--timeout", str(timeout_ms)]
    args += list(tls)
    if udp:
        args.append("--udp")
    if mechanism == "ANONYMOUS":
        args += ["--mechanism", "ANONYMOUS", "--user", "anonymous", "--password", "x"]
    else:
        args += ["--user", user, "--password", password]
        if mechanism:
            args += ["--mechanism", mechanism]
    return args


def node(server, *words, user="node1", password=None, mechanism=None, udp=False, timeout_ms=10000, tls=()):
    """A DSTM node's session: returns (exit status, parsed answers, raw stdout, stderr). tls:
    tsp_request's --tls-* options."""
    password = NODES.get(user, "") if password is None else password
    r = subprocess.run(node_args(server, user, password, mechanism, udp, timeout_ms, tls) + list(words),
                       capture_output=True, text=True, timeout=timeout_ms / 1000 * 3 + 10)
    replies = [parse_reply(l) for l in r.stdout.splitlines() if parse_reply(l)]
    log(f"node {mechanism or user}{' udp' if udp else ''} {' '.join(words)} -> {r.returncode} {r.stdout.strip()!r} {r.stderr.strip()[:200]!r}")
    return r.returncode, replies, r.stdout, r.stderr


def allocate(server, v6, user="node1", **kw):
    rc, replies, out, err = node(server, "create", v6, user=user, **kw)
    check(rc == 0 and replies and replies[0]["code"] == 200,
          f"node {user} create {v6}: expected 200, got exit {rc}, stdout {out.strip()!r}, stderr {err.strip()!r}")
    return replies[0]


class NodeSession:
    """A node's kept-open session (tsp_request running), its stdout read line by line."""

    def __init__(self, env, server, *words, user="node1", timeout_ms=30000):
        self.proc = env.spawn(node_args(server, user, NODES[user], None, False, timeout_ms) + list(words),
                              env.unique("node") + ".log", stdout=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def next_line(self, timeout, what):
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise Failure(f"node session: no line within {timeout} s while waiting for {what}")
        if line is None:
            raise Failure(f"node session ended (exit {self.proc.wait()}) while waiting for {what}")
        log(f"node session: {line}")
        return line


def stack(env, lifetime=3600, dataplane=True, **server_kw):
    agent = Agent(env).start()
    dp = Dataplane(env, agent.shm) if dataplane else None
    server = Server(env, agent.port, lifetime=lifetime, **server_kw).start()
    server.wait_tep_up()
    if dp:
        wait_for(lambda: agent.status()["dataplane"]["attached"], 5, "the dataplane to attach")
    return agent, dp, server


CASES = []


def case(fn):
    CASES.append(fn)
    return fn


# --- 1-3: allocation, renewal, sticky ---------------------------------------------------------

@case
def allocation_end_to_end(env):
    agent, dp, server = stack(env, lifetime=3600)
    creates0 = agent.tsp()["creates"]
    r = allocate(server, "2001:db8:aa::11")
    eq(r["action"], "info", "answer action")
    check(r["client4"].startswith("10.64.0."), f"leased {r['client4']} is not in the pool {SERVER_POOL}")
    eq(r["client6"], "2001:db8:aa::11", "client IPv6 in the answer")
    eq((r["server4"], r["server6"]), (TEP_V4, TEP_V6), "server (TEP) addresses in the answer")
    check(r["lifetime"] in (3599, 3600), f"lifetime {r['lifetime']}, expected the default 3600")
    eq(r["keepalive"], 30, "keepalive interval (tsp.keepalive_interval default)")
    eq(r["dns"], DNS, "<client><dns_server>")
    v4 = r["client4"]
    dp.wait_table({v4: "2001:db8:aa::11"})
    leases = server.leases()
    eq(sorted(leases), [v4], "show leases addresses")
    eq((leases[v4]["ipv6"], leases[v4]["identity"], leases[v4]["state"]), ("2001:db8:aa::11", "node1", "active"),
       "show leases (ipv6, identity, state)")
    check(abs(leases[v4]["expires"] - (time.time() + 3600)) < 10, f"lease expires {leases[v4]['expires']}")
    eq(agent.mappings(), {v4: "2001:db8:aa::11"}, "agent show mappings")
    eq(agent.tsp()["creates"], creates0 + 1, "agent tsp.creates")
    pools = server.ctl("show", "pools")["pools"]
    eq((pools[0]["prefix"], pools[0]["used"]), (SERVER_POOL, 1), "show pools (prefix, used)")
    # The store survives a clean stop and start (kill -9: case server_kill9_restart).
    server.stop()
    server.start()
    leases2 = server.leases()
    eq({ip: (l["ipv6"], l["identity"]) for ip, l in leases2.items()}, {v4: ("2001:db8:aa::11", "node1")},
       "leases after a restart")
    eq(leases2[v4]["expires"], leases[v4]["expires"], "lease end after a restart")


@case
def allocation_over_udp(env):
    agent, dp, server = stack(env)
    r = allocate(server, "2001:db8:aa::12", user="node2", udp=True)
    eq((r["client6"], r["server4"], r["server6"]), ("2001:db8:aa::12", TEP_V4, TEP_V6), "answer over UDP")
    dp.wait_table({r["client4"]: "2001:db8:aa::12"})
    eq(server.lease_pairs(), {r["client4"]: "2001:db8:aa::12"}, "show leases")


@case
def renewal_same_session(env):
    agent, dp, server = stack(env, lifetime=10)
    rc, replies, out, err = node(server, "create", "2001:db8:bb::1", "accept", "sleep", "2500", "renew")
    check(rc == 0 and len(replies) == 2, f"create/accept/renew: exit {rc}, stdout {out!r}, stderr {err!r}")
    first, second = replies
    eq((first["code"], second["code"]), (200, 200), "codes of create and renewal")
    eq(second["client4"], first["client4"], "IPv4 after renewal")
    check(second["lifetime"] >= 9, f"lifetime after a renewal 2.5 s later is {second['lifetime']}, expected "
          f"refreshed to ~10 (first answer: {first['lifetime']})")
    tsp = agent.tsp()
    eq((tsp["creates"], tsp["idempotent"]), (1, 0), "agent (creates, idempotent): a renewal must not reach the TEP")
    lease = server.leases()[first["client4"]]
    check(lease["expires"] >= time.time() + 8, f"lease expires in {lease['expires'] - time.time():.1f} s")
    eq(server.counters()["renewals"], 1, "server counter renewals")


@case
def sticky_address(env):
    agent, dp, server = stack(env)
    a = allocate(server, "2001:db8:cc::1", user="node1")["client4"]
    rc, replies, out, err = node(server, "delete", a, "2001:db8:cc::1", user="node1")
    check(rc == 0 and replies and replies[0]["code"] == 200, f"node delete: exit {rc}, {out!r} {err!r}")
    dp.wait_table({})
    eq(server.leases(), {}, "leases after the node's delete")
    # Another node allocates meanwhile: the rotating cursor must not hand it the freed address.
    b = allocate(server, "2001:db8:cc::2", user="node2")["client4"]
    check(b != a, f"node2 got {b}, the address node1 just gave back")
    again = allocate(server, "2001:db8:cc::1", user="node1")["client4"]
    eq(again, a, "node1's address when it comes back")
    dp.wait_table({a: "2001:db8:cc::1", b: "2001:db8:cc::2"})


# --- 4-5: expiry and release -------------------------------------------------------------------

@case
def expiry_sends_tunnel_delete(env):
    agent, dp, server = stack(env, lifetime=2, max_lifetime=2)
    s = NodeSession(env, server, "create", "2001:db8:dd::1", "accept", "wait-delete")
    r = parse_reply(s.next_line(10, "the create's answer"))
    check(r and r["code"] == 200 and r["lifetime"] in (1, 2), f"create answer {r}")
    eq(s.next_line(5, "accept"), "accepted", "after accept")
    dp.wait_table({r["client4"]: "2001:db8:dd::1"})
    t0 = time.monotonic()
    eq(s.next_line(8, "the server's Tunnel Delete at expiry"), "server delete", "node session")
    check(time.monotonic() - t0 < 5, "Tunnel Delete came late")
    dp.wait_table({}, what="the expired mapping to leave the dataplane")
    eq(server.leases(), {}, "leases after expiry")
    wait_for(lambda: agent.mappings() == {}, 5, "the agent's mappings to be empty", agent.mappings)
    c = server.counters()
    eq((c["expirations"], c["node-deletes-sent"]), (1, 1), "server counters (expirations, node-deletes-sent)")


@case
def operator_release(env):
    agent, dp, server = stack(env)
    s = NodeSession(env, server, "create", "2001:db8:ee::1", "accept", "wait-delete")
    r = parse_reply(s.next_line(10, "the create's answer"))
    check(r and r["code"] == 200, f"create answer {r}")
    eq(s.next_line(5, "accept"), "accepted", "after accept")
    dp.wait_table({r["client4"]: "2001:db8:ee::1"})
    sessions = server.ctl("show", "sessions")["sessions"]
    check(any(x["identity"] == "node1" and x["peer"].endswith("tcp") for x in sessions),
          f"the node's kept-open session is not in show sessions: {sessions}")
    rc, out, err = run_ctl(server.ctl_args() + ["lease", "release", r["client4"]])
    eq(rc, 0, f"dstmctl lease release exit status (stderr {err.strip()!r})")
    eq(s.next_line(5, "the server's Tunnel Delete"), "server delete", "node session")
    dp.wait_table({}, what="the released mapping to leave the dataplane")
    wait_for(lambda: agent.mappings() == {}, 5, "the agent's mappings to be empty", agent.mappings)
    eq(server.leases(), {}, "leases after release")
    wait_for(lambda: server.store_rows() == 0, 5, "the server's store to be empty", server.store_rows)
    rc, out, err = run_ctl(server.ctl_args() + ["lease", "release", r["client4"]])
    eq(rc, 1, "dstmctl lease release of a free address: exit status")
    check(r["client4"] in err and "lease" in err, f"no message naming the address on stderr: {err!r}")


# --- 6: TEP failures ---------------------------------------------------------------------------

@case
def tep_not_running(env):
    dead_port = free_port()  # nothing listens there
    server = Server(env, dead_port, tep_timeout_ms=1000).start()
    t0 = time.monotonic()
    rc, replies, out, err = node(server, "create", "2001:db8:ff::1")
    elapsed = time.monotonic() - t0
    check(replies and replies[0]["code"] == 307, f"expected 307, got exit {rc}, {out!r} {err!r}")
    check(elapsed < 1.0 + 2.0, f"307 took {elapsed:.1f} s with a TEP timeout of 1 s")
    eq(server.leases(), {}, "leases after a failed allocation")
    # Unanswered, the create may have been applied: what is durable before the 307 is a
    # tombstone (a delete still owed to the TEP), not a lease.
    eq(server.store_rows(), 1, "store rows (the tombstone) the moment the node has its 307")
    eq(server.counters()["tep-failures"], 1, "server counter tep-failures")
    server.kill9()
    server.start()
    eq(server.leases(), {}, "leases after kill -9 and restart")
    eq(server.ctl("show", "pools")["pools"][0]["used"], 0, "pool used")


@case
def tep_without_dataplane(env):
    agent, dp, server = stack(env, dataplane=False, tep_timeout_ms=3000)
    t0 = time.monotonic()
    rc, replies, out, err = node(server, "create", "2001:db8:ff::2")
    elapsed = time.monotonic() - t0
    check(replies and replies[0]["code"] == 307, f"expected 307, got exit {rc}, {out!r} {err!r}")
    # The agent's own apply timeout (0.6 s) answers first, well before the server's 3 s.
    check(elapsed < 2.5, f"307 took {elapsed:.1f} s: the agent's apply timeout is 0.6 s")
    # The 307 leaves only once the lease row is durably gone: killed right after, the server
    # has no lease to bring back and push to the TEP.
    eq(server.store_rows(), 0, "lease rows the moment the node has its 307")
    server.kill9()
    server.start()
    eq(server.leases(), {}, "server leases (after kill -9 and restart)")
    eq(agent.mappings(), {}, "agent mappings after an undone create")
    eq(agent.tsp()["apply_timeouts"], 1, "agent tsp.apply_timeouts")
    # A dataplane that shows up later gets nothing stale.
    dp = Dataplane(env, agent.shm)
    wait_for(lambda: agent.status()["dataplane"]["attached"], 5, "the dataplane to attach")
    time.sleep(0.2)
    dp.wait_table({}, what="a late dataplane's table")
    r = allocate(server, "2001:db8:ff::2")
    dp.wait_table({r["client4"]: "2001:db8:ff::2"})


@case
def tep_failure_answered_once_removed(env):
    """The node hears 307 only once its lease row is durably gone: answered before, a crash in
    between would bring the lease back at start-up and push it to the TEP. Another connection
    holds the store's write lock while the TEP's 307 comes back; the node's answer must wait
    for it."""
    agent, dp, server = stack(env, dataplane=False, tep_timeout_ms=3000)
    result = {}
    t = threading.Thread(target=lambda: result.update(r=node(server, "create", "2001:db8:ff::3")))
    t.start()
    wait_for(lambda: server.store_rows() == 1, 3, "the lease row to be committed", server.store_rows)
    db = sqlite3.connect(server.store, timeout=5, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")  # the write lock; the agent's 307 comes 0.6 s after the create
    time.sleep(1.5)
    answered_while_locked = not t.is_alive()
    db.execute("ROLLBACK")
    db.close()
    t.join(20)
    rc, replies, out, err = result["r"]
    check(replies and replies[0]["code"] == 307, f"expected 307, got exit {rc}, {out!r} {err!r}")
    check(not answered_while_locked, "the node had its 307 before the lease row could be removed")
    eq(server.store_rows(), 0, "lease rows once the node has its 307")
    eq(server.leases(), {}, "server leases")


# --- 7-9: restarts -----------------------------------------------------------------------------

@case
def server_kill9_restart(env):
    agent, dp, server = stack(env)
    a = allocate(server, "2001:db8:71::1", user="node1")["client4"]
    b = allocate(server, "2001:db8:71::2", user="node2")["client4"]
    expected = {a: "2001:db8:71::1", b: "2001:db8:71::2"}
    dp.wait_table(expected)
    server.kill9()
    idem0 = agent.tsp()["idempotent"]
    server.start()
    leases = server.leases()
    eq({ip: (l["ipv6"], l["identity"]) for ip, l in leases.items()},
       {a: ("2001:db8:71::1", "node1"), b: ("2001:db8:71::2", "node2")}, "leases after kill -9 and restart")
    # Re-pushed to the agent (idempotent creates), which keeps exactly the same set.
    wait_for(lambda: agent.tsp()["idempotent"] >= idem0 + 2, 10, "the server to re-push both leases",
             lambda: agent.tsp())
    wait_for(lambda: all(l["state"] == "active" for l in server.leases().values()), 5, "leases active",
             server.leases)
    eq(agent.mappings(), expected, "agent mappings after the server's restart")
    eq(dp.table(), expected, "dataplane table")
    creates0 = agent.tsp()["creates"]
    rc, replies, out, err = node(server, "create", a, "2001:db8:71::1", user="node1")
    check(rc == 0 and replies and replies[0]["code"] == 200, f"renewal after restart: {rc} {out!r} {err!r}")
    eq(replies[0]["client4"], a, "address after a renewal across the restart")
    eq(agent.tsp()["creates"], creates0, "agent tsp.creates (a renewal must not reach the TEP)")


@case
def agent_kill9_restart(env):
    agent, dp, server = stack(env)
    a = allocate(server, "2001:db8:81::1", user="node1")["client4"]
    b = allocate(server, "2001:db8:81::2", user="node2")["client4"]
    c = allocate(server, "2001:db8:81::3", user="node3")["client4"]
    expected = {a: "2001:db8:81::1", b: "2001:db8:81::2", c: "2001:db8:81::3"}
    dp.wait_table(expected)
    agent.kill9()
    time.sleep(0.3)
    eq(dp.table(), expected, "the dataplane's table while the agent is dead (it keeps forwarding)")
    # The restarted agent reconciles the dataplane to exactly its persisted set "whatever it had"
    # (README, Restarts): take one mapping out of the store behind its back to see that happen.
    db = sqlite3.connect(agent.store)
    with db:
        eq(db.execute("DELETE FROM mappings WHERE ipv4 = ? OR ipv4 = ?",
                      (c, int.from_bytes(socket.inet_aton(c), "big"))).rowcount, 1, "rows deleted from the store")
    db.close()
    del expected[c]
    agent.start()
    eq(agent.mappings(), expected, "agent mappings reloaded from its store")
    dp.wait_table(expected, what="the dataplane's table after the agent's reconciliation snapshot")
    eq(agent.status()["dataplane"]["attached"], True, "agent status dataplane.attached")
    server.wait_tep_up(timeout=15)
    d = allocate(server, "2001:db8:81::4", user="node4")["client4"]
    expected[d] = "2001:db8:81::4"
    dp.wait_table(expected, what="a new allocation after the agent's restart")


@case
def server_restart_while_tep_down(env):
    """The server restarts while its TEP's agent is down, and the agent comes back with an empty
    store (a replaced appliance): the server keeps re-pushing its restored leases until the TEP
    takes them, so forwarding comes back without any node doing anything (issue #5: "the active
    set is re-pushed to the TEPs")."""
    agent, dp, server = stack(env, tep_timeout_ms=500)
    expected = {}
    for i in range(1, 3):
        expected[allocate(server, f"2001:db8:72::{i}", user=f"node{i}")["client4"]] = f"2001:db8:72::{i}"
    dp.wait_table(expected)
    agent.kill9()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(agent.store + suffix):
            os.unlink(agent.store + suffix)
    server.kill9()
    server.start()
    time.sleep(1.5)  # the first re-push attempts time out (0.5 s each)
    agent.start()
    wait_for(lambda: agent.mappings() == expected, 15, "the server's re-push to reach the new agent", agent.mappings)
    dp.wait_table(expected, what="the dataplane's table after the re-push")
    wait_for(lambda: all(l["state"] == "active" for l in server.leases().values()), 5, "leases active",
             server.leases)


@case
def dataplane_restart(env):
    agent, dp, server = stack(env)
    expected = {}
    for i in range(1, 4):
        expected[allocate(server, f"2001:db8:91::{i}", user=f"node{i}")["client4"]] = f"2001:db8:91::{i}"
    dp.wait_table(expected)
    resyncs0 = agent.tsp()["resyncs"]
    dp.kill9()
    # A dead dataplane applies nothing: a new allocation is undone at the agent (307, no lease).
    rc, replies, out, err = node(server, "create", "2001:db8:91::5", user="node5")
    check(replies and replies[0]["code"] == 307, f"create with the dataplane dead: exit {rc}, {out!r} {err!r}")
    eq(server.lease_pairs(), expected, "leases after a create the dead dataplane could not apply")
    eq(agent.mappings(), expected, "agent mappings after a create the dead dataplane could not apply")
    t0 = time.monotonic()
    dp2 = Dataplane(env, agent.shm)
    dp2.wait_table(expected, timeout=5, what="the new dataplane's table")
    elapsed = time.monotonic() - t0
    check(elapsed <= 1.0, f"the new dataplane had the whole set after {elapsed:.2f} s, expected within 1 s")
    eq(agent.tsp()["resyncs"], resyncs0 + 1, "agent tsp.resyncs")
    d = allocate(server, "2001:db8:91::4", user="node4")["client4"]
    expected[d] = "2001:db8:91::4"
    dp2.wait_table(expected)


@case
def udp_new_client_on_the_old_port(env):
    """Issue #5, RUDP as gogoCLIENT speaks it (tsp-digest.md §1, §2): a node that restarts and
    is given the port its predecessor had (the kernel reuses ephemeral ports) starts a new
    session with VERSION at the initial sequence. The server must answer it, although the old
    session, holding its lease, is still open for that address and port: it used to drop every
    request of the new node as a stale retransmission."""
    agent, dp, server = stack(env, anonymous=True)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(3)

    def ask(seq, text):
        sock.sendto(struct.pack("!II", seq, 1000) + text, ("127.0.0.1", server.port))
        while True:
            try:
                data, _ = sock.recvfrom(65536)
            except socket.timeout:
                return None
            if struct.unpack("!I", data[:4])[0] == seq:
                return data[8:].decode(errors="replace")

    xml = ('<tunnel action="create" type="v4v6" proxy="no">\r\n <client>\r\n  <address type="ipv6">'
           '2001:db8:d1::1</address>\r\n  <keepalive interval="30">\r\n    <address type="ipv6">::</address>'
           '\r\n  </keepalive>\r\n </client>\r\n</tunnel>\r\n')
    try:
        for life in ("the first node", "its successor on the same port"):
            r = ask(0xf00000f0, b"VERSION=2.0.2\r\n")
            check(r is not None and r.startswith("CAPABILITY "), f"{life}: VERSION answered {r!r}")
            r = ask(0xf00000f1, b"AUTHENTICATE ANONYMOUS\r\n\x00")
            check(r == "200 Success\r\n", f"{life}: AUTHENTICATE answered {r!r}")
            r = ask(0xf00000f2, f"Content-length: {len(xml)}\r\n{xml}".encode())
            check(r is not None and "200 Success" in r and 'action="info"' in r, f"{life}: create answered {r!r}")
            # The node vanishes without accept or delete: its session stays, holding the lease.
    finally:
        sock.close()
    eq(list(server.lease_pairs().values()), ["2001:db8:d1::1"], "one lease for the node")
    check(f"a new client on port" in env.tail(server.log, 200),
          "the server's log does not say a new client took the old port:\n" + env.tail(server.log))


# --- 10-11: authentication and the agent's allow-list -------------------------------------------

@case
def auth_failures_and_backoff(env):
    agent, dp, server = stack(env, extra_tsp="auth_failures_before_backoff = 3")
    for i in range(3):
        rc, replies, out, err = node(server, "create", "2001:db8:a1::1", password="wrong")
        eq(rc, 1, f"tsp_request exit status with a wrong password (attempt {i + 1}, stderr {err.strip()!r})")
        eq(server.counters()["auth-failures"], i + 1, "server counter auth-failures")
    # Backing off (1 s, lib/tspnet): even the right password is refused before any TSP byte.
    rc, replies, out, err = node(server, "create", "2001:db8:a1::1")
    eq(rc, 1, "tsp_request exit status while the source backs off")
    eq(server.counters()["sessions-refused-backoff"], 1, "server counter sessions-refused-backoff")
    eq(server.leases(), {}, "leases")
    # The back-off ends.
    wait_for(lambda: node(server, "create", "2001:db8:a1::1")[0] == 0, 5, "the back-off to end")
    eq(list(server.lease_pairs().values()), ["2001:db8:a1::1"], "leases after the back-off")


@case
def anonymous_refused_unless_enabled(env):
    agent, dp, server = stack(env)
    rc, replies, out, err = node(server, "create", "2001:db8:a2::1", mechanism="ANONYMOUS")
    eq(rc, 1, f"ANONYMOUS when not enabled: exit status (stdout {out.strip()!r})")
    eq(replies, [], "answers to an unauthenticated node")
    eq(server.leases(), {}, "leases")


@case
def anonymous_enabled(env):
    agent, dp, server = stack(env, anonymous=True)
    a = allocate(server, "2001:db8:a3::1", mechanism="ANONYMOUS")
    b = allocate(server, "2001:db8:a3::2", mechanism="ANONYMOUS")
    check(a["client4"] != b["client4"], f"two anonymous nodes got the same address {a['client4']}")
    leases = server.leases()
    eq({ip: (l["ipv6"], l["identity"]) for ip, l in leases.items()},
       {a["client4"]: ("2001:db8:a3::1", "2001:db8:a3::1"), b["client4"]: ("2001:db8:a3::2", "2001:db8:a3::2")},
       "anonymous leases (identity = the node's IPv6)")
    dp.wait_table({a["client4"]: "2001:db8:a3::1", b["client4"]: "2001:db8:a3::2"})
    # The same anonymous node again: its lease, renewed (one per /128), not a second address.
    eq(allocate(server, "2001:db8:a3::1", mechanism="ANONYMOUS")["client4"], a["client4"], "anonymous renewal")


@case
def agent_allow_list(env):
    agent = Agent(env, allow=["192.0.2.0/24"]).start()
    dp = Dataplane(env, agent.shm)
    server = Server(env, agent.port, tep_timeout_ms=1000).start()
    rc, replies, out, err = node(server, "create", "2001:db8:b1::1")
    check(replies and replies[0]["code"] == 307, f"expected 307, got exit {rc}, {out!r} {err!r}")
    check(agent.tsp()["connections_refused"] >= 1, f"agent tsp {agent.tsp()}")
    eq(agent.tsp()["connections_accepted"], 0, "agent tsp.connections_accepted")
    check(server.tep_state() != "up", "the server's TEP session is up through the allow-list")
    eq(server.leases(), {}, "server leases")
    eq(agent.mappings(), {}, "agent mappings")
    eq(dp.table(), {}, "dataplane table")


# --- 11b: TLS on TCP (lib/tspnet/tls.h) ---------------------------------------------------------

def make_certs(env):
    """A throwaway CA and, signed by it, the agent's certificate (CN tep.test, SAN IP 127.0.0.1),
    the DSTM server's node-facing one (CN dstm.test) and the DSTM server's client certificate
    for the agent (CN server1), made with the openssl command line. Returns {name: (cert, key)}
    and "ca"."""
    def openssl(*args):
        r = subprocess.run(["openssl"] + list(args), capture_output=True, text=True, timeout=60, cwd=env.dir)
        check(r.returncode == 0, f"openssl {' '.join(args[:3])}: exit {r.returncode}: {r.stderr.strip()}")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    ca, ca_key = env.path("ca.pem"), env.path("ca.key")
    openssl("req", "-x509", *ec, "-days", "2", "-subj", "/CN=dstm-test-ca", "-keyout", ca_key, "-out", ca)
    out = {"ca": ca}
    for name, cn, ext in (("tep", "tep.test", "subjectAltName=DNS:tep.test,IP:127.0.0.1\nextendedKeyUsage=serverAuth"),
                          ("node-facing", "dstm.test", "subjectAltName=DNS:dstm.test,IP:127.0.0.1\nextendedKeyUsage=serverAuth"),
                          ("server1", "server1", "extendedKeyUsage=clientAuth")):
        cert, key, csr, extfile = (env.path(f"{name}.{x}") for x in ("pem", "key", "csr", "ext"))
        with open(extfile, "w") as f:
            f.write(ext + "\n")
        openssl("req", "-new", *ec, "-subj", f"/CN={cn}", "-keyout", key, "-out", csr)
        openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-days", "2",
                "-extfile", extfile, "-out", cert)
        out[name] = (cert, key)
    return out


def agent_tls_keys(certs, client_ca=True):
    cert, key = certs["tep"]
    keys = f'tls_cert = "{cert}"\ntls_key = "{key}"\n'
    return keys + (f'tls_client_ca = "{certs["ca"]}"\n' if client_ca else "")


@case
def tls_with_client_certificates(env):
    """Issue #4 "optional TLS with client certificates": the agent requires a client
    certificate; the server's [[tep]] verifies the agent's (tls_ca, tls_server_name) and shows
    its own (tls_cert/tls_key). An allocation goes through end to end."""
    certs = make_certs(env)
    agent = Agent(env, extra_tsp=agent_tls_keys(certs)).start()
    dp = Dataplane(env, agent.shm)
    cert, key = certs["server1"]
    server = Server(env, agent.port, extra_tep=f'tls_ca = "{certs["ca"]}"\ntls_cert = "{cert}"\n'
                                               f'tls_key = "{key}"\ntls_server_name = "tep.test"').start()
    server.wait_tep_up()
    wait_for(lambda: agent.status()["dataplane"]["attached"], 5, "the dataplane to attach")
    r = allocate(server, "2001:db8:c1::1")
    eq((r["client6"], r["server4"], r["server6"]), ("2001:db8:c1::1", TEP_V4, TEP_V6), "answer over a TLS TEP link")
    dp.wait_table({r["client4"]: "2001:db8:c1::1"})
    eq(agent.mappings(), {r["client4"]: "2001:db8:c1::1"}, "agent mappings")
    eq(agent.tsp()["tls_failures"], 0, "agent tsp.tls_failures")
    check("client certificate CN 'server1'" in env.tail(agent.log, 200),
          "the agent's log does not name the client certificate's CN:\n" + env.tail(agent.log))


@case
def tls_tep_link_with_plain(env):
    """A [[tep]] may use PLAIN over TLS (and only then: the config refuses it without tls_ca):
    the agent offers PLAIN on its TLS listener, the server logs in with it, an allocation goes
    through."""
    certs = make_certs(env)
    agent = Agent(env, extra_tsp=agent_tls_keys(certs, client_ca=False) + 'mechanisms = ["PLAIN"]\n').start()
    dp = Dataplane(env, agent.shm)
    server = Server(env, agent.port, extra_tep=f'tls_ca = "{certs["ca"]}"\ntls_server_name = "tep.test"\n'
                                               'mechanism = "PLAIN"').start()
    server.wait_tep_up()
    wait_for(lambda: agent.status()["dataplane"]["attached"], 5, "the dataplane to attach")
    r = allocate(server, "2001:db8:c3::1")
    dp.wait_table({r["client4"]: "2001:db8:c3::1"})
    check(f"authenticated as '{TEP_USER}' (PLAIN)" in env.tail(agent.log, 200),
          "the agent's log does not show a PLAIN login:\n" + env.tail(agent.log))


@case
def tls_client_without_certificate_refused(env):
    """The agent requires a client certificate and the server's [[tep]] has only tls_ca: every
    TLS handshake is refused (counted in tls_failures), the TEP never comes up and a node's
    create is answered 307 with nothing kept. A plain-TCP TEP client fails the same way, and a
    silent one at the handshake deadline."""
    certs = make_certs(env)
    # No back-off here (the next case has it): the server's TEP client keeps failing from the
    # same address the checks below connect from.
    agent = Agent(env, extra_tsp=agent_tls_keys(certs) + "handshake_timeout_ms = 500\n"
                  "auth_failures_before_backoff = 1000\n").start()
    dp = Dataplane(env, agent.shm)
    server = Server(env, agent.port, tep_timeout_ms=1000, extra_tep=f'tls_ca = "{certs["ca"]}"').start()
    rc, replies, out, err = node(server, "create", "2001:db8:c2::1")
    check(replies and replies[0]["code"] == 307, f"expected 307, got exit {rc}, {out!r} {err!r}")
    check(agent.tsp()["tls_failures"] >= 1, f"agent tsp {agent.tsp()}")
    eq(agent.tsp()["auth_failures"], 0, "agent tsp.auth_failures (no TSP byte without TLS)")
    check(server.tep_state() != "up", "the server's TEP session is up without a client certificate")
    eq(server.leases(), {}, "server leases")
    eq(agent.mappings(), {}, "agent mappings")
    eq(dp.table(), {}, "dataplane table")
    # The server's TEP client retries for ever: stop it, so the agent's counter moves only for
    # what follows. tsp_request as a TEP client over plain TCP: the agent speaks only TLS there.
    server.kill9()

    def settled():  # the killed server's last connections counted: two equal reads in a row
        before = agent.tsp()["tls_failures"]
        time.sleep(0.3)
        return before == agent.tsp()["tls_failures"]
    wait_for(settled, 10, "the agent's tls_failures to settle after the server stopped")
    failures = agent.tsp()["tls_failures"]
    r = subprocess.run([tool("tests/tools/tsp_request"), "--connect", f"127.0.0.1:{agent.port}", "--timeout", "3000",
                        "--user", TEP_USER, "--password", TEP_PASSWORD, "info"], capture_output=True, text=True, timeout=30)
    eq(r.returncode, 1, f"plain TCP to a TLS agent: exit status (stdout {r.stdout.strip()!r})")
    wait_for(lambda: agent.tsp()["tls_failures"] == failures + 1, 5, "the agent to count the plain connection")
    # A client that connects and never starts its TLS handshake is cut at the handshake deadline
    # (tsp.handshake_timeout_ms = 500 here), and counted.
    failures = agent.tsp()["tls_failures"]
    with socket.create_connection(("127.0.0.1", agent.port), timeout=10) as idle:
        t0 = time.monotonic()
        eq(idle.recv(100), b"", "what the agent sends a silent client before closing")
        waited = time.monotonic() - t0
    check(0.3 < waited < 5, f"the silent client was closed after {waited:.2f} s, expected about 0.5 s")
    wait_for(lambda: agent.tsp()["tls_failures"] == failures + 1, 5, "the agent to count the missed deadline")


@case
def tls_failures_back_off(env):
    """Failed TLS handshakes count towards the back-off that guards passwords: after
    auth_failures_before_backoff of them a source's connections are refused before any
    handshake, until the back-off ends."""
    certs = make_certs(env)
    agent = Agent(env, extra_tsp=agent_tls_keys(certs) + "auth_failures_before_backoff = 3\n").start()

    def not_tls():  # plain bytes on the TLS port: the handshake fails at once
        with socket.create_connection(("127.0.0.1", agent.port), timeout=10) as c:
            try:
                c.sendall(b"VERSION=2.0.0\r\n")
                return c.recv(100)
            except ConnectionResetError:  # closed with our bytes unread
                return b""
    for i in range(3):
        not_tls()
        wait_for(lambda: agent.tsp()["tls_failures"] == i + 1, 5, f"tls_failures to reach {i + 1}", agent.tsp)
    refused0 = agent.tsp()["connections_refused"]
    eq(not_tls(), b"", "what a backed-off source gets")
    eq(agent.tsp()["connections_refused"], refused0 + 1, "agent tsp.connections_refused (back-off)")
    eq(agent.tsp()["tls_failures"], 3, "agent tsp.tls_failures (no handshake tried while backing off)")
    # The back-off (1 s at first) ends: the next attempt reaches the handshake again.
    time.sleep(1.2)
    not_tls()
    wait_for(lambda: agent.tsp()["tls_failures"] == 4, 5, "a handshake after the back-off", agent.tsp)


@case
def tls_node_listener_plain_only_over_tls(env):
    """Issue #5: the server's node listener with TLS offers PLAIN on TLS connections only. A node
    over TLS authenticates with PLAIN and allocates; over RUDP (never TLS) PLAIN is not offered;
    plain TCP to the TLS listener fails its handshake."""
    certs = make_certs(env)
    cert, key = certs["node-facing"]
    agent, dp, server = stack(env, extra_tsp=f'tls_cert = "{cert}"\ntls_key = "{key}"\n'
                                             'mechanisms = ["SCRAM-SHA-256", "PLAIN"]')
    tls = ["--tls-ca", certs["ca"], "--tls-server-name", "dstm.test"]
    r = allocate(server, "2001:db8:c3::1", mechanism="PLAIN", tls=tls)
    dp.wait_table({r["client4"]: "2001:db8:c3::1"})
    # SCRAM over TLS works too.
    allocate(server, "2001:db8:c3::2", user="node2", tls=tls)
    rc, replies, out, err = node(server, "create", "2001:db8:c3::3", user="node3", mechanism="PLAIN", udp=True,
                                 timeout_ms=3000)
    eq((rc, replies), (1, []), f"PLAIN over RUDP: (exit, answers) (stderr {err.strip()!r})")
    check("not authenticated" in err, f"PLAIN over RUDP: {err.strip()!r}")
    failures = server.counters()["tls-failures"]
    rc, replies, out, err = node(server, "create", "2001:db8:c3::4", user="node4", mechanism="PLAIN", timeout_ms=3000)
    eq((rc, replies), (1, []), f"plain TCP to the TLS listener: (exit, answers) (stderr {err.strip()!r})")
    wait_for(lambda: server.counters()["tls-failures"] > failures, 5, "the server to count the failed handshake")
    # A client that does not trust the server's CA refuses it.
    rc, replies, out, err = node(server, "create", "2001:db8:c3::5", user="node5", mechanism="PLAIN",
                                 tls=["--tls-ca", certs["tep"][0]], timeout_ms=3000)
    eq((rc, replies), (1, []), f"an untrusted server certificate: (exit, answers) (stderr {err.strip()!r})")
    check("certificate verify failed" in err, f"untrusted certificate: {err.strip()!r}")
    eq(sorted(server.lease_pairs().values()), ["2001:db8:c3::1", "2001:db8:c3::2"], "server leases")


@case
def tls_bad_files_refused_at_start(env):
    """The TLS files are read when the daemon starts (not by --check): a missing file, a key
    that is not the certificate's, or a [[tep]] CA that is no certificate stop it with a message
    naming the key and the file."""
    certs = make_certs(env)
    cert, key = certs["tep"]
    other_key = certs["server1"][1]
    for extra, expected in ((f'tls_cert = "{env.path("missing.pem")}"\ntls_key = "{key}"\n',
                             f"tls_cert '{env.path('missing.pem')}': cannot be read"),
                            (f'tls_cert = "{cert}"\ntls_key = "{other_key}"\n',
                             f"tls_key '{other_key}' does not match tls_cert '{cert}'")):
        agent = Agent(env, extra_tsp=extra)
        agent.write_config()
        r = subprocess.run([tool(agent.binary), "--config", agent.config_path, "--check"], capture_output=True, text=True)
        eq(r.returncode, 0, f"agent --check with {extra!r} (stderr {r.stderr!r})")
        r = subprocess.run([tool(agent.binary), "--config", agent.config_path], capture_output=True, text=True,
                           timeout=30)
        check(r.returncode != 0 and expected in r.stderr, f"agent start with {extra!r}: exit {r.returncode}, "
              f"stderr {r.stderr.strip()!r}, expected {expected!r}")
    server = Server(env, 9, extra_tep=f'tls_ca = "{key}"')
    server.write_config()
    r = subprocess.run([tool(server.binary), "--config", server.config_path], capture_output=True, text=True, timeout=30)
    check(r.returncode != 0 and f"tep tep1 TLS: tls_ca '{key}': no PEM certificate" in r.stderr,
          f"server start with a key as tls_ca: exit {r.returncode}, stderr {r.stderr.strip()!r}")


# --- 12: configuration errors and dstmctl exit status ------------------------------------------

def expect_check_error(binary, path, key, line):
    r = subprocess.run([tool(binary), "--config", path, "--check"], capture_output=True, text=True, timeout=30)
    eq(r.returncode, 1, f"{os.path.basename(binary)} --check exit status for a bad {key} (stderr {r.stderr!r})")
    pattern = re.escape(f"{path}:{line}: {key}") + r"(\[\d+\])?: \S"
    check(re.search(pattern, r.stderr), f"stderr {r.stderr.strip()!r} does not match '{path}:{line}: {key}: ...'")


def broken_config(env, daemon, replace, append=""):
    """daemon's config with one line replaced (or appended): (path, line number of the change)."""
    lines = daemon.config_text().splitlines()
    if replace:
        old, new = replace
        index = next(i for i, l in enumerate(lines) if l.startswith(old))
        lines[index] = new
    else:
        index = next(i for i, l in enumerate(lines) if l == "[tsp]") + 1
        lines.insert(index, append)
    path = env.path(env.unique("broken") + ".toml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path, index + 1


@case
def config_errors_and_ctl_exit_status(env):
    agent = Agent(env)
    server = Server(env, agent.port)
    for d in (agent, server):
        d.write_config()
        r = subprocess.run([tool(d.binary), "--config", d.config_path, "--check"], capture_output=True, text=True)
        eq(r.returncode, 0, f"{d.label} --check of a good config (stderr {r.stderr!r})")
    path, line = broken_config(env, agent, None, "bogus_key = 1")
    expect_check_error(agent.binary, path, "tsp.bogus_key", line)
    path, line = broken_config(env, agent, ("pools", 'pools = ["10.64.0.0/33"]'))
    expect_check_error(agent.binary, path, "tep.pools", line)
    path, line = broken_config(env, server, None, "bogus_key = 1")
    expect_check_error(server.binary, path, "tsp.bogus_key", line)
    path, line = broken_config(env, server, ("prefixes", 'prefixes = ["10.64.0.0/33"]'))
    expect_check_error(server.binary, path, "pool.prefixes", line)
    for args in (["--agent-socket", env.path("missing.sock"), "show", "status"],
                 ["--server-socket", env.path("missing.sock"), "--server", "show", "leases"]):
        rc, out, err = run_ctl(args)
        eq(rc, 3, f"dstmctl {' '.join(args)}: exit status (stderr {err.strip()!r})")


# --- more failures at the wrong moment ---------------------------------------------------------

@case
def acknowledged_delete_survives_kill9(env):
    """A node's delete answered 200 stays done after kill -9: the lease is over for the node, so
    it must not come back (and be re-pushed to the TEP) after a restart. The server is killed
    the moment the node has read its answer, 30 times: the window between the answer and the
    store's commit is an fsync long, so one kill rarely lands in it."""
    agent, dp, server = stack(env)
    for i in range(30):
        v6 = f"2001:db8:de::{i + 1}"
        v4 = allocate(server, v6, user="node1")["client4"]
        p = env.spawn(node_args(server, "node1", NODES["node1"], None, False, 10000) + ["delete", v4, v6],
                      env.unique("node") + ".log", stdout=subprocess.PIPE, text=True)
        line = p.stdout.readline()
        server.kill9()
        p.wait(timeout=10)
        r = parse_reply(line)
        check(r and r["code"] == 200, f"node delete {v4}: answer {line!r}")
        server.start()
        leases = server.lease_pairs()
        check(v4 not in leases, f"attempt {i + 1}: {v4} -> {v6}, deleted by its node with 200, is a lease again "
              f"after kill -9 (show leases: {leases})")


@case
def acknowledged_release_survives_kill9(env):
    """As acknowledged_delete_survives_kill9 for the operator: `dstmctl lease release` exited 0,
    so the lease is over and must stay over after a kill -9 right then."""
    agent, dp, server = stack(env)
    for i in range(30):
        v6 = f"2001:db8:df::{i + 1}"
        v4 = allocate(server, v6, user="node1")["client4"]
        rc, out, err = run_ctl(server.ctl_args() + ["lease", "release", v4])
        server.kill9()
        eq(rc, 0, f"dstmctl lease release {v4}: exit status (stderr {err.strip()!r})")
        server.start()
        leases = server.lease_pairs()
        check(v4 not in leases, f"attempt {i + 1}: {v4} -> {v6}, released by the operator, is a lease again "
              f"after kill -9 (show leases: {leases})")


@case
def tep_down_when_lease_ends(env):
    """The TEP's agent is down when a lease expires: the Tunnel Delete to the TEP cannot go
    through then. Once the agent is back, the mapping must go (issue #5: "Nothing half-done
    survives any failure"); else the TEP forwards for a node whose lease is over until someone
    else gets the address."""
    agent, dp, server = stack(env, lifetime=2, max_lifetime=2, tep_timeout_ms=500)
    r = allocate(server, "2001:db8:e1::1")
    dp.wait_table({r["client4"]: "2001:db8:e1::1"})
    agent.kill9()
    wait_for(lambda: server.leases() == {}, 8, "the lease to expire", server.leases)
    time.sleep(1.0)  # the server's Tunnel Delete times out (0.5 s) meanwhile
    agent.start()
    server.wait_tep_up(timeout=15)
    wait_for(lambda: agent.mappings() == {}, 10, "the agent to drop the ended lease's mapping", agent.mappings)
    dp.wait_table({}, what="the dataplane to stop forwarding for the ended lease")
    # Nothing of the ended lease is left in the server's store once the TEP confirmed.
    wait_for(lambda: server.store_rows() == 0, 5, "the server's store to be empty", server.store_rows)


@case
def tep_mapping_outlives_lease_across_server_restart(env):
    """The lease ends (node delete) while the TEP's agent is down, then the server is killed -9
    before it could tell the TEP. After both are back the TEP must not keep forwarding for a
    lease the server no longer has (issue #5: "Nothing half-done survives any failure")."""
    agent, dp, server = stack(env, tep_timeout_ms=500)
    r = allocate(server, "2001:db8:e2::1")
    dp.wait_table({r["client4"]: "2001:db8:e2::1"})
    agent.kill9()
    rc, replies, out, err = node(server, "delete", r["client4"], "2001:db8:e2::1")
    check(replies and replies[0]["code"] == 200, f"node delete: exit {rc}, {out!r} {err!r}")
    server.kill9()
    agent.start()
    server.start()
    server.wait_tep_up(timeout=15)
    eq(server.leases(), {}, "server leases after the restart")
    wait_for(lambda: agent.mappings() == {}, 10, "the agent to drop the ended lease's mapping", agent.mappings)
    dp.wait_table({}, what="the dataplane to stop forwarding for the ended lease")
    wait_for(lambda: server.store_rows() == 0, 5, "the server's store to be empty", server.store_rows)


# --- 13: durability under kill -9 ---------------------------------------------------------------

@case
def durability_under_kill9(env):
    """Issue #5: "after kill -9 at any moment no acknowledged lease is lost and no address is
    ever handed out twice — prove it with a test that kills the server repeatedly under load".

    Four node threads (two over TCP, two over UDP) allocate in a loop, each create from a fresh IPv6 (an anonymous node's
    identity is its /128, so every create is a new lease), and give about one lease in four back
    with a node delete. Meanwhile the server is killed -9 and restarted 5 times at random moments.
    Lifetimes are long: nothing expires during the test.

    Recorded: every create answered 200 (IPv4, IPv6, when the answer was read) and, for deletes,
    when the delete process was started (a lower bound of when the lease ended: the lease was
    certainly alive before). At the end, with the server running:
      - every acknowledged lease not deleted by its node is in `show leases` with its IPv6. There
        must be no gap: the lease store commits (group commit) before any answer goes out, so a
        lease a node was told about is on disk before the kill can lose it;
      - no IPv4 was acknowledged to two IPv6 while both leases were alive: for the same IPv4, the
        later acknowledgement must come after the earlier holder's delete was started;
      - the TEP (agent) ends up mapping exactly the server's leases.
    """
    agent, dp, server = stack(env, anonymous=True, pool="10.64.0.0/17",
                              extra_pool="anonymous_per_64 = 100000\nanonymous_share = 1.0")
    acks = []        # (t_read, ipv4, ipv6)
    deletes = {}     # (ipv4, ipv6) -> (t_started, code or None)
    errors = []
    lost = [0]       # creates without an answer (server down or killed mid-request)
    stop = threading.Event()
    lock = threading.Lock()

    def worker(n):
        k = 0
        rng = random.Random(n)
        udp = n % 2 == 0  # half the nodes over reliable UDP
        while not stop.is_set():
            k += 1
            v6 = f"2001:db8:77:{n}::{k:x}"
            rc, replies, out, err = node(server, "create", v6, mechanism="ANONYMOUS", udp=udp, timeout_ms=5000)
            if rc != 0 or not replies:
                with lock:
                    lost[0] += 1
                time.sleep(0.05)  # the server is down (connect refused) or was killed mid-request
                continue
            r = replies[0]
            if r["code"] != 200:
                if r["code"] not in (307,):  # the TEP may time out right after a restart
                    with lock:
                        errors.append(f"create {v6}: {out.strip()}")
                continue
            with lock:
                acks.append((time.monotonic(), r["client4"], v6))
            if rng.random() < 0.25:
                t = time.monotonic()
                rc, replies, out, err = node(server, "delete", r["client4"], v6, mechanism="ANONYMOUS",
                                             udp=udp, timeout_ms=5000)
                with lock:
                    deletes[(r["client4"], v6)] = (t, replies[0]["code"] if replies else None)

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(1, 5)]
    for t in threads:
        t.start()
    rng = random.Random()
    try:
        for kill in range(5):
            time.sleep(rng.uniform(0.5, 2.0))
            server.kill9()
            log(f"kill -9 #{kill + 1} after {len(acks)} acknowledged creates")
            time.sleep(rng.uniform(0.0, 0.3))
            server.start()
        time.sleep(1.0)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    check(not errors, "unexpected answers: " + "; ".join(errors[:5]))
    check(len(acks) >= 20, f"only {len(acks)} acknowledged creates: the load did not run")
    check(len(acks) < 32000, "more leases than the pool holds: the test would be meaningless")
    leases = server.lease_pairs()
    deleted_ok = {k for k, (t, code) in deletes.items() if code == 200}
    maybe_deleted = set(deletes)  # a delete whose answer was lost may or may not have happened
    missing = [(v4, v6) for _, v4, v6 in acks if (v4, v6) not in maybe_deleted and leases.get(v4) != v6]
    check(not missing, f"{len(missing)} acknowledged lease(s) lost or changed after kill -9: " +
          ", ".join(f"{v4}->{v6} (now {leases.get(v4)})" for v4, v6 in missing[:10]))
    # Acknowledged deletes must stay deleted too (an acknowledged end of a lease is not undone).
    resurrected = [(v4, v6) for v4, v6 in deleted_ok if leases.get(v4) == v6]
    check(not resurrected, f"lease(s) deleted with 200 came back after kill -9: {resurrected[:10]}")
    holders = {}
    for t, v4, v6 in sorted(acks):
        prev = holders.get(v4)
        if prev and prev[1] != v6:
            ended = deletes.get((v4, prev[1]))
            check(ended is not None and ended[0] < t,
                  f"{v4} acknowledged to {v6} while {prev[1]} (acknowledged before) still held it")
        holders[v4] = (t, v6)
    wait_for(lambda: all(l["state"] == "active" for l in server.leases().values()), 15,
             "every restored lease to be confirmed by the TEP")
    # The TEP ends up mapping exactly the server's leases: every lease re-pushed, and every
    # lease that ended around a kill deleted there (the server's tombstones are replayed).
    def differences():
        mappings = agent.mappings()
        return {v4: (leases.get(v4), mappings.get(v4)) for v4 in set(leases) | set(mappings)
                if leases.get(v4) != mappings.get(v4)}
    wait_for(lambda: not differences(), 15, "the TEP to map exactly the server's leases",
             lambda: f"(server IPv6, TEP IPv6) by address: {dict(list(differences().items())[:10])}")
    log(f"{len(acks)} acknowledged creates, {lost[0]} unanswered, {len(deletes)} deletes, "
        f"{len(leases)} leases at the end")


# --- runner ------------------------------------------------------------------------------------

def main():
    global BUILD, VERBOSE, KEEP
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build")
    parser.add_argument("cases", nargs="*", help="run only the cases whose name contains one of these")
    parser.add_argument("--keep", action="store_true", help="keep each case's directory (configs, logs)")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_intermixed_args()
    # A timeout's SIGTERM still runs each case's cleanup (processes, /dev/shm, directory).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    BUILD, VERBOSE, KEEP = os.path.abspath(args.build), args.verbose, args.keep
    selected = [c for c in CASES if not args.cases or any(s in c.__name__ for s in args.cases)]
    if args.list:
        for c in selected:
            print(c.__name__)
        return 0
    for rel in ("controlplane/agent/dstm-agent", "controlplane/server/dstm-server", "controlplane/ctl/dstmctl",
                "controlplane/passwd/dstm-passwd", "tests/tools/tsp_request", "tests/tools/fake_dataplane"):
        if not os.access(tool(rel), os.X_OK):
            print(f"controlplane: {tool(rel)} was not built")
            print("controlplane: 0 passed, 1 failed")
            return 1
    passed = failed = 0
    for c in selected:
        env = Env(c.__name__)
        t0 = time.monotonic()
        try:
            c(env)
            passed += 1
            print(f"PASS {c.__name__} ({time.monotonic() - t0:.1f} s)", flush=True)
        except Exception as e:  # a case's failure (or a bug in it) must not stop the others
            failed += 1
            what = str(e) if isinstance(e, Failure) else traceback.format_exc()
            print(f"FAIL {c.__name__} ({time.monotonic() - t0:.1f} s)\n    {what}", flush=True)
            print(f"    processes: {env.process_states()}")
            for name in sorted(os.listdir(env.dir)):
                if name.endswith(".log"):
                    print(f"    --- {name} (last lines)\n" + "".join(
                        "      " + l for l in env.tail(name, 8).splitlines(True)), flush=True)
        finally:
            env.cleanup()
    print(f"controlplane: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

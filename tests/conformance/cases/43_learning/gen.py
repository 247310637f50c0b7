"""Learning mode (DSTM draft §7 "caches the association"; dataplane.learning = true): a node
C7 the TSP never provisioned sends from the free pool address L7. Its packets are dropped
(drop-no-source-softwire-ipv6) but the main lcore installs L7 -> C7 once (learn-installed: the
second request finds it there). Never learned: a source already leased to another node
(C6B claiming L4 stays spoofed), a source outside the pools, the pool's broadcast address."""
from tep import *
from scapy.all import UDP

C7, L7 = "2001:db8:1::7", "192.0.2.7"


def build():
    def claim(src4, src6=C7):
        return from_node(IP(src=src4, dst=D) / UDP(sport=7, dport=7), src=src6)
    return {
        "config": {"dataplane.learning": "true"},
        "in6": [claim(L7), claim(L7), claim(L4, src6=C6B), claim("10.9.9.9"), claim("192.0.2.255")],
        "mappings_at_exit": 3,
        "counters": {"in-ipv6": 5, "drop-no-source-softwire-ipv6": 4, "drop-spoofed-inner-src-ipv4": 1,
                     "learn-installed": 1},
    }

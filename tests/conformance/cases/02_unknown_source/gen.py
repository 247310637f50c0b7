"""Case 2: an unknown node sends from an unleased inner source: dropped, no ICMP by default."""
from tep import *
from scapy.all import UDP


def build():
    inner = IP(src="192.0.2.99", dst=D) / UDP(sport=1, dport=2)
    return {"in6": [from_node(inner, src="2001:db8:9::9")],
            "counters": {"in-ipv6": 1, "drop-no-source-softwire-ipv6": 1}}

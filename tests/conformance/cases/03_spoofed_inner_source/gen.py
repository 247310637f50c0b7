"""Case 3: C6 forges another node's lease L4B as inner source: dropped (DSTM draft §7 binding)."""
from tep import *
from scapy.all import UDP


def build():
    inner = IP(src=L4B, dst=D) / UDP(sport=1, dport=2)
    return {"in6": [from_node(inner)], "counters": {"in-ipv6": 1, "drop-spoofed-inner-src-ipv4": 1}}

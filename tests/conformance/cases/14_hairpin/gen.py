"""Case 14: C -> another node's lease: decapsulated and re-encapsulated to C6B, TTL - 1 once."""
from tep import *
from scapy.all import UDP


def build():
    inner = IP(src=L4, dst=L4B, ttl=64) / UDP(sport=1, dport=2) / b"peer"
    return {"in6": [from_node(inner)], "out6": [to_node(forwarded(inner), dst=C6B)],
            "counters": {"in-ipv6": 1, "hairpin-ipv4": 1, "out-ipv6": 1}}

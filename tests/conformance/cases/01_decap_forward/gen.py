"""Case 1: C6 -> T, next header 4, inner L4 -> D, TTL 64: decapsulated, TTL 63, checksum fixed."""
from tep import *
from scapy.all import UDP


def build():
    inner = IP(src=L4, dst=D, ttl=64, id=7) / UDP(sport=40000, dport=53) / b"query"
    return {"in6": [from_node(inner)], "out4": [to_internet(forwarded(inner))],
            "counters": {"in-ipv6": 1, "out-ipv4": 1}}

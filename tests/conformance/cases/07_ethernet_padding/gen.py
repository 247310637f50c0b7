"""Case 7: bytes after the IPv6 payload (Ethernet padding) are trimmed, the packet forwarded."""
from tep import *
from scapy.all import UDP


def build():
    inner = IP(src=L4, dst=D, ttl=64) / UDP(sport=1, dport=2)
    padded = Ether(bytes(from_node(inner)) + b"\x00" * 10)
    return {"in6": [padded], "out4": [to_internet(forwarded(inner))],
            "counters": {"in-ipv6": 1, "out-ipv4": 1}}

"""Case 10: inner TTL 1: dropped; ICMPv4 Time Exceeded (11/0) from the TEP's IPv4 address goes
back to the node inside the tunnel (RFC 1812 §5.3.1; TOS 0xC0 per §4.3.2.5)."""
from tep import *
from scapy.all import UDP, ICMP


def build():
    inner = IP(src=L4, dst=D, ttl=1, id=9) / UDP(sport=1, dport=2) / b"late"
    error = IP(src=TEP4, dst=L4, ttl=64, tos=0xC0, id=0) / ICMP(type=11, code=0) / bytes(inner)
    return {"in6": [from_node(inner)], "out6": [to_node(error)],
            "counters": {"in-ipv6": 1, "drop-ttl-zero-ipv4": 1, "out-icmpv4-error": 1}}

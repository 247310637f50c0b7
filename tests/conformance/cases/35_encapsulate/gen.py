"""Case 35: IPv4 D -> L4, TTL 64: T -> C6, next header 4, hop limit 64, TOS -> traffic class, TTL 63."""
from tep import *
from scapy.all import UDP


def build():
    packet = IP(src=D, dst=L4, ttl=64, tos=0x28) / UDP(sport=53, dport=40000) / b"answer"
    return {"in4": [from_internet(packet)], "out6": [to_node(forwarded(packet), tc=0x28)],
            "counters": {"in-ipv4": 1, "out-ipv6": 1}}

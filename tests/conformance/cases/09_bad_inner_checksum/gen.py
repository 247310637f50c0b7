"""Case 9: inner IPv4 header checksum wrong: dropped silently."""
from tep import *
from scapy.all import UDP


def build():
    inner = IP(src=L4, dst=D, chksum=0x1234) / UDP(sport=1, dport=2)
    return {"in6": [from_node(inner)], "counters": {"in-ipv6": 1, "drop-bad-checksum-ipv4": 1}}

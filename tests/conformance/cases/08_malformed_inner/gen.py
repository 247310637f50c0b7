"""Case 8: inner version != 4, IHL < 5, total length > payload: dropped silently."""
from tep import *
from scapy.all import UDP


def build():
    good = IP(src=L4, dst=D) / UDP(sport=1, dport=2)
    bad_version = bytearray(bytes(good)); bad_version[0] = 0x55
    bad_ihl = IP(src=L4, dst=D, ihl=4) / UDP(sport=1, dport=2)
    bad_len = IP(src=L4, dst=D, len=400) / UDP(sport=1, dport=2)
    frames = [from_node(bytes(bad_version)), from_node(bad_ihl), from_node(bad_len)]
    return {"in6": frames, "counters": {"in-ipv6": 3, "drop-malformed-ipv4": 3}}

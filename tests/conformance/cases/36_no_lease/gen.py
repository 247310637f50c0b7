"""Case 36: IPv4 to a pool address with no lease: dropped, ICMPv4 3/1 to the sender."""
from tep import *
from scapy.all import UDP, ICMP


def build():
    packet = IP(src=D, dst="192.0.2.77", ttl=60, id=5) / UDP(sport=53, dport=1) / b"stale"
    error = IP(src=TEP4, dst=D, ttl=64, tos=0xC0, id=0) / ICMP(type=3, code=1) / bytes(packet)
    return {"in4": [from_internet(packet)], "out4": [to_internet(error)],
            "counters": {"in-ipv4": 1, "drop-no-dest-softwire-ipv4": 1, "out-icmpv4-error": 1}}

"""Case 39: IPv4 from the internet with a pool source address: dropped (BCP 38 on our prefix)."""
from tep import *
from scapy.all import UDP


def build():
    packet = IP(src="192.0.2.50", dst=L4) / UDP(sport=1, dport=2)
    return {"in4": [from_internet(packet)], "counters": {"in-ipv4": 1, "drop-ipv4-src-is-pool": 1}}

"""Case 36 with ICMP host-unreachable off: a pool address without a lease is dropped silently."""
from tep import *
from scapy.all import UDP


def build():
    packet = IP(src=D, dst="192.0.2.77") / UDP(sport=53, dport=1)
    return {"in4": [from_internet(packet)], "config": {"icmp.host_unreachable": "false"},
            "counters": {"in-ipv4": 1, "drop-no-dest-softwire-ipv4": 1}}

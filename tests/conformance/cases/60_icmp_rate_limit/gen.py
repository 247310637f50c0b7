"""ICMP errors are rate-limited: with a burst of 2 and a slow refill, 5 no-lease packets yield 2
errors; all 5 are dropped and counted."""
from tep import *
from scapy.all import UDP, ICMP


def build():
    packets = [IP(src=D, dst="192.0.2.77", id=i) / UDP(sport=53, dport=1) for i in range(5)]
    errors = [to_internet(IP(src=TEP4, dst=D, ttl=64, tos=0xC0, id=0) / ICMP(type=3, code=1) / bytes(p))
              for p in packets[:2]]
    return {"in4": [from_internet(p) for p in packets], "out4": errors,
            "config": {"icmp.rate_per_second": "1", "icmp.burst": "2"},
            "counters": {"in-ipv4": 5, "drop-no-dest-softwire-ipv4": 5, "out-icmpv4-error": 2,
                         "drop-icmp-rate-limited": 3}}

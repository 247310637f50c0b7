"""Case 18: inner IPv4 with LSRR or SSRR: dropped, no ICMP (RFC 7126)."""
from tep import *
from scapy.all import UDP, IPOption_LSRR, IPOption_SSRR


def build():
    lsrr = IP(src=L4, dst=D, options=[IPOption_LSRR(routers=["203.0.113.9"])]) / UDP(sport=1, dport=2)
    ssrr = IP(src=L4, dst=D, options=[IPOption_SSRR(routers=["203.0.113.9"])]) / UDP(sport=1, dport=2)
    return {"in6": [from_node(lsrr), from_node(ssrr)], "counters": {"in-ipv6": 2, "drop-ipv4-source-route": 2}}

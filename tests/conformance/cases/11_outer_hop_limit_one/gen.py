"""Case 11: outer hop limit 1 arriving at T: irrelevant, the TEP is the destination."""
from tep import *
from scapy.all import UDP


def build():
    inner = IP(src=L4, dst=D, ttl=64) / UDP(sport=1, dport=2)
    frame = Ether(src=GW6_MAC, dst=PORT6_MAC) / IPv6(src=C6, dst=TEP6, hlim=1) / inner
    return {"in6": [frame], "out4": [to_internet(forwarded(inner))], "counters": {"in-ipv6": 1, "out-ipv4": 1}}

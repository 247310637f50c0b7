"""Cases 12-13: inner destination 127/8, 0/8, 240/4, broadcast, 169.254/16, multicast: dropped."""
from tep import *
from scapy.all import UDP


def build():
    dsts = ["127.0.0.1", "0.1.2.3", "240.0.0.1", "255.255.255.255", "169.254.1.1", "224.0.0.5"]
    frames = [from_node(IP(src=L4, dst=d) / UDP(sport=1, dport=2)) for d in dsts]
    return {"in6": frames, "counters": {"in-ipv6": len(dsts), "drop-martian-ipv4": len(dsts)}}

"""The multi-lcore layout: a worker lcore forwards while the main lcore keeps house; decap,
encap and hairpin behave exactly as with one lcore."""
from tep import *
from scapy.all import UDP


def build():
    up = IP(src=L4, dst=D, ttl=64) / UDP(sport=1, dport=2)
    down = IP(src=D, dst=L4, ttl=64) / UDP(sport=2, dport=1)
    peer = IP(src=L4, dst=L4B, ttl=64) / UDP(sport=3, dport=4)
    return {"lcores": "0,1",
            "in6": [from_node(up), from_node(peer)], "in4": [from_internet(down)],
            "out4": [to_internet(forwarded(up))],
            "out6": [to_node(forwarded(peer), dst=C6B), to_node(forwarded(down))],
            "counters": {"in-ipv6": 2, "in-ipv4": 1, "out-ipv4": 1, "hairpin-ipv4": 1, "out-ipv6": 2}}

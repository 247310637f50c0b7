"""Case 4: outer destination is not a TEP address: never decapsulated."""
from tep import *
from scapy.all import UDP


def build():
    inner = IP(src=L4, dst=D) / UDP(sport=1, dport=2)
    return {"in6": [from_node(inner, dst="2001:db8:1::99")], "counters": {"in-ipv6": 1, "drop-ipv6-not-local": 1}}

"""Case 14 with hairpinning off: dropped."""
from tep import *
from scapy.all import UDP


def build():
    inner = IP(src=L4, dst=L4B) / UDP(sport=1, dport=2)
    return {"in6": [from_node(inner)], "config": {"tep.hairpinning": "false"},
            "counters": {"in-ipv6": 1, "drop-hairpin-disabled": 1}}

"""Case 6: payload length larger than the bytes received, or under 20 with next header 4: dropped
silently as malformed IPv6."""
from tep import *
from scapy.all import UDP


def build():
    inner = IP(src=L4, dst=D) / UDP(sport=1, dport=2)
    too_long = Ether(src=GW6_MAC, dst=PORT6_MAC) / IPv6(src=C6, dst=TEP6, nh=4, plen=200) / inner
    too_short = Ether(src=GW6_MAC, dst=PORT6_MAC) / IPv6(src=C6, dst=TEP6, nh=4) / bytes(inner)[:12]
    return {"in6": [too_long, too_short],
            "counters": {"in-ipv6": 2, "drop-malformed-ipv6": 2}}

"""Case 13: multicast and the pool's directed broadcast are martian destinations, dropped
silently and never encapsulated: on decap (inner destination) and on encap (IPv4 from the
internet to 192.0.2.255 must not reach any node)."""
from tep import *
from scapy.all import UDP

BROADCAST = "192.0.2.255"   # the last address of POOL (192.0.2.0/24)


def build():
    up = [from_node(IP(src=L4, dst=d) / UDP(sport=1, dport=2)) for d in (BROADCAST, "224.0.0.1", "239.1.2.3")]
    down = [from_internet(IP(src=D, dst=d) / UDP(sport=3, dport=4)) for d in (BROADCAST, "224.0.0.251")]
    # A lease-holder just below the broadcast address is still served: only .255 is refused.
    ok = IP(src=D, dst=L4) / UDP(sport=3, dport=4)
    return {"in6": up, "in4": down + [from_internet(ok)], "out6": [to_node(forwarded(ok))],
            "counters": {"in-ipv6": 3, "in-ipv4": 3, "drop-martian-ipv4": 5, "out-ipv6": 1}}

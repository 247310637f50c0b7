"""One port for both sides (no VLANs): the EtherType decides; decap and encap both work."""
from tep import *
from scapy.all import UDP


def build():
    up = IP(src=L4, dst=D, ttl=64) / UDP(sport=1, dport=2)
    down = IP(src=D, dst=L4, ttl=64) / UDP(sport=2, dport=1)
    one = "02:70:63:61:70:00"
    return {"one_port": True,
            "in6": [from_node(up)], "in4": [Ether(src=GW4_MAC, dst=one) / down],
            "out6": [to_internet(forwarded(up), src_mac=one)], "out4": [to_node(forwarded(down), src_mac=one)],
            "counters": {"in-ipv6": 1, "out-ipv4": 1, "in-ipv4": 1, "out-ipv6": 1}}

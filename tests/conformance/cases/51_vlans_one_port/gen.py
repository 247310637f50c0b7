"""One port, the node side on VLAN 100 and the internet side on VLAN 200."""
from tep import *
from scapy.all import UDP


def build():
    up = IP(src=L4, dst=D, ttl=64) / UDP(sport=1, dport=2)
    down = IP(src=D, dst=L4, ttl=64) / UDP(sport=2, dport=1)
    one = "02:70:63:61:70:00"
    wrong_vlan = from_node(up, vlan=300)
    return {"one_port": True, "config": {"ports.ipv6.vlan": "100", "ports.ipv4.vlan": "200"},
            "in6": [from_node(up, vlan=100), wrong_vlan], "in4": [Ether(src=GW4_MAC, dst=one) / Dot1Q(vlan=200) / down],
            "out6": [to_internet(forwarded(up), src_mac=one, vlan=200)],
            "out4": [to_node(forwarded(down), src_mac=one, vlan=100)],
            "counters": {"in-ipv6": 1, "out-ipv4": 1, "in-ipv4": 1, "out-ipv6": 1, "drop-misplaced-not-ipv6": 1}}

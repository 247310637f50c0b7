"""Case 40: IPv4 on the node-side port and IPv6 on the internet-side port are dropped; ARP on
the internet side that does not ask for the TEP is dropped too."""
from tep import *
from scapy.all import UDP, ARP


def build():
    v4_on_node_port = Ether(src=GW6_MAC, dst=PORT6_MAC) / IP(src=L4, dst=D) / UDP(sport=1, dport=2)
    arp_other = Ether(src=GW4_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(psrc="198.51.100.254", pdst="198.51.100.77")
    v6 = Ether(src=GW4_MAC, dst=PORT4_MAC) / IPv6(src="2001:db8:5::1", dst=TEP6)
    return {"in6": [v4_on_node_port], "in4": [arp_other, v6],
            "counters": {"drop-misplaced-not-ipv6": 1, "drop-misplaced-not-ipv4": 1, "drop-arp-other": 1}}

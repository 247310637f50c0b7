"""Next-hop resolution without static MACs. At start-up the TEP asks for both gateways: an ARP
request (RFC 826) on the internet side and a neighbour solicitation to the gateway's
solicited-node group (RFC 4861 §7.2.2) on the node side. Then, in the order the worker polls:
the node side brings the IPv6 gateway's advertisement (learned) and a packet for the internet,
dropped because the IPv4 gateway is not resolved yet; the internet side brings the IPv4
gateway's ARP reply (learned), a packet for a node (sent to the learned IPv6 gateway MAC) and
an echo to the TEP (answered to the learned IPv4 gateway MAC). An advertisement for the IPv6
gateway with another MAC arriving on the internet port (the wrong side) is not learned: the
packet for the node after it still goes to the MAC learned on the node side."""
from tep import *
from scapy.all import ARP, ICMP, UDP, ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6NDOptSrcLLAddr, ICMPv6NDOptDstLLAddr

GW6, GW4 = "2001:db8:1::fe", "198.51.100.254"
LEARNED6, LEARNED4 = "02:00:00:00:66:01", "02:00:00:00:44:01"   # not the static MACs of tep.py


def build():
    ns = Ether(src=PORT6_MAC, dst="33:33:ff:00:00:fe") / IPv6(src=TEP6, dst="ff02::1:ff00:fe", hlim=255) \
        / ICMPv6ND_NS(tgt=GW6) / ICMPv6NDOptSrcLLAddr(lladdr=PORT6_MAC)
    arp_request = Ether(src=PORT4_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc=PORT4_MAC, psrc=TEP4, hwdst="00:00:00:00:00:00", pdst=GW4)
    na = Ether(src=LEARNED6, dst=PORT6_MAC) / IPv6(src=GW6, dst=TEP6, hlim=255) \
        / ICMPv6ND_NA(R=1, S=1, O=1, tgt=GW6) / ICMPv6NDOptDstLLAddr(lladdr=LEARNED6)
    wrong_side = Ether(src="02:00:00:00:0b:ad", dst=PORT4_MAC) / IPv6(src=GW6, dst=TEP6, hlim=255) \
        / ICMPv6ND_NA(R=1, S=0, O=1, tgt=GW6) / ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:0b:ad")
    arp_reply = Ether(src=LEARNED4, dst=PORT4_MAC) / ARP(op=2, hwsrc=LEARNED4, psrc=GW4, hwdst=PORT4_MAC, pdst=TEP4)
    up = IP(src=L4, dst=D, ttl=64) / UDP(sport=1, dport=2)
    down = IP(src=D, dst=L4, ttl=64) / UDP(sport=2, dport=1)
    echo = IP(src=D, dst=TEP4, ttl=50, id=78) / ICMP(type=8, id=0x4321, seq=2) / b"pong"
    echo_reply = IP(src=TEP4, dst=D, ttl=64, id=78) / ICMP(type=0, id=0x4321, seq=2) / b"pong"
    down_out = Ether(src=PORT6_MAC, dst=LEARNED6) / IPv6(src=TEP6, dst=C6, hlim=64, nh=4) / forwarded(down)
    return {
        "config": {"next_hops.ipv6.mac": None, "next_hops.ipv4.mac": None},
        "in6": [na, Ether(src=LEARNED6, dst=PORT6_MAC) / IPv6(src=C6, dst=TEP6, hlim=64, nh=4) / up],
        "in4": [arp_reply, wrong_side, Ether(src=LEARNED4, dst=PORT4_MAC) / down, Ether(src=LEARNED4, dst=PORT4_MAC) / echo],
        "out6": [ns, down_out],
        "out4": [arp_request, Ether(src=PORT4_MAC, dst=LEARNED4) / echo_reply],
        "counters": {"in-ipv6": 2, "in-nd-next-hop": 1, "drop-next-hop-unresolved": 1, "in-arp-next-hop": 1,
                     "in-ipv4": 2, "out-ipv6": 1, "in-icmpv4-echo-local": 1, "out-next-hop-probe": 2,
                     "drop-misplaced-not-ipv4": 1},
    }

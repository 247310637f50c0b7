"""The TEP answers for its own addresses: ARP for its IPv4 address (RFC 826), neighbour
solicitation for its IPv6 address (RFC 4861 §7.2.4: R, S, O flags and the target link-layer
option), and ping6 to it, each back to the asking MAC."""
from tep import *
from scapy.all import ARP, ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6NDOptSrcLLAddr, ICMPv6NDOptDstLLAddr
from scapy.all import ICMPv6EchoRequest, ICMPv6EchoReply

GW6 = "2001:db8:1::fe"


def build():
    arp = Ether(src=GW4_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=GW4_MAC, psrc="198.51.100.254", pdst=TEP4)
    arp_reply = Ether(src=PORT4_MAC, dst=GW4_MAC) / ARP(op=2, hwsrc=PORT4_MAC, psrc=TEP4, hwdst=GW4_MAC,
                                                         pdst="198.51.100.254")
    ns = Ether(src=GW6_MAC, dst="33:33:ff:00:00:01") / IPv6(src=GW6, dst="ff02::1:ff00:1", hlim=255) \
        / ICMPv6ND_NS(tgt=TEP6) / ICMPv6NDOptSrcLLAddr(lladdr=GW6_MAC)
    na = Ether(src=PORT6_MAC, dst=GW6_MAC) / IPv6(src=TEP6, dst=GW6, hlim=255) \
        / ICMPv6ND_NA(R=1, S=1, O=1, tgt=TEP6) / ICMPv6NDOptDstLLAddr(lladdr=PORT6_MAC)
    ping = Ether(src=GW6_MAC, dst=PORT6_MAC) / IPv6(src=C6, dst=TEP6, hlim=63) / ICMPv6EchoRequest(id=7, seq=1, data=b"ping")
    pong = Ether(src=PORT6_MAC, dst=GW6_MAC) / IPv6(src=TEP6, dst=C6, hlim=64) / ICMPv6EchoReply(id=7, seq=1, data=b"ping")
    return {"in6": [ns, ping], "in4": [arp], "out6": [na, pong], "out4": [arp_reply],
            "counters": {"in-ipv6": 2, "in-nd-local": 1, "in-icmpv6-echo-local": 1, "in-arp-local": 1}}

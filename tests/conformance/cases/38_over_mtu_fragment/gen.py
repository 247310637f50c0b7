"""Case 38: 1500-byte IPv4 to L4 without DF, tunnel MTU 1460: encapsulated, then sent as two
outer IPv6 fragments (RFC 2473 §7.2, RFC 8200 §4.5): 1448 bytes of payload, then the rest, with
one identification the TEP picks unpredictably (RFC 7739), so those 4 bytes are not compared."""
from tep import *
from scapy.all import UDP, IPv6ExtHdrFragment


def build():
    packet = IP(src=D, dst=L4, ttl=60, id=8, tos=0x10) / UDP(sport=53, dport=1) / (b"f" * 1472)
    inner = bytes(forwarded(packet))
    l2 = Ether(src=PORT6_MAC, dst=GW6_MAC)
    first = l2 / IPv6(src=TEP6, dst=C6, hlim=64, tc=0x10, nh=44) / IPv6ExtHdrFragment(nh=4, offset=0, m=1, id=0) / inner[:1448]
    second = l2 / IPv6(src=TEP6, dst=C6, hlim=64, tc=0x10, nh=44) / IPv6ExtHdrFragment(nh=4, offset=1448 // 8, m=0, id=0) / inner[1448:]
    id_bytes = 14 + 40 + 4
    return {"in4": [from_internet(packet)], "out6": [first, second],
            "ignore": {"node side": [(0, id_bytes, 4), (1, id_bytes, 4)]},
            "counters": {"in-ipv4": 1, "out-ipv6-frag": 2}}

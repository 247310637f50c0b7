"""Case 29: Hop-by-Hop (PadN) + Destination Options with Linux's Tunnel Encapsulation Limit
(RFC 2473 §4.1.1, option type 4, value 4) + next header 4: consumed, then decapsulated. Also
the plain Linux ip6tnl form: Destination Options (encaplimit) directly."""
from tep import *
from scapy.all import UDP, IPv6ExtHdrHopByHop, PadN

# Destination Options: next header 4, length 0 (8 bytes): Tunnel Encapsulation Limit = 4, PadN(1).
ENCAP_LIMIT = bytes([4, 0, 0x04, 0x01, 0x04, 0x01, 0x01, 0x00])


def build():
    inner = IP(src=L4, dst=D, ttl=64) / UDP(sport=1, dport=2)
    l2 = Ether(src=GW6_MAC, dst=PORT6_MAC)
    linux = l2 / IPv6(src=C6, dst=TEP6, nh=60) / ENCAP_LIMIT / inner
    hbh = l2 / IPv6(src=C6, dst=TEP6) / IPv6ExtHdrHopByHop(nh=60, options=[PadN(optdata=b"\x00\x00\x00\x00")]) \
        / ENCAP_LIMIT / inner
    return {"in6": [linux, hbh], "out4": [to_internet(forwarded(inner))] * 2,
            "counters": {"in-ipv6": 2, "out-ipv4": 2}}

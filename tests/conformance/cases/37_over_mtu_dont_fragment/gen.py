"""Case 37: 1500-byte IPv4 to L4 with DF, tunnel MTU 1460: dropped, ICMPv4 3/4 with MTU 1460
(RFC 2473 §7.2, RFC 1191 §4), quoting 548 bytes (576 in all, RFC 1812 §4.3.2.3)."""
from tep import *
from scapy.all import UDP, ICMP


def build():
    packet = IP(src=D, dst=L4, flags="DF", ttl=60, id=6) / UDP(sport=53, dport=1) / (b"z" * 1472)
    assert len(packet) == 1500
    error = IP(src=TEP4, dst=D, ttl=64, tos=0xC0, id=0) / ICMP(type=3, code=4, nexthopmtu=1460) / bytes(packet)[:548]
    return {"in4": [from_internet(packet)], "out4": [to_internet(error)],
            "counters": {"in-ipv4": 1, "drop-over-mtu-but-dont-fragment-ipv4": 1, "out-icmpv4-error": 1}}

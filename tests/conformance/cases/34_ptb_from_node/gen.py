"""Case 34: ICMPv6 Packet Too Big from a router on the node path (RFC 2473 §8, RFC 8201).

Node side, in this order:
 1. PTB MTU 1000 (below 1280: taken as 1280) quoting T -> C6, next header 4, inner D -> L4 with
    DF: L4's tunnel MTU becomes 1240, and D hears ICMPv4 3/4 MTU 1240 (Linux ip4ip6_err).
 2. PTB MTU 1400 quoting T -> C6B, inner D -> L4B without DF: L4B's MTU becomes 1360, no relay.
 3. PTB quoting a packet not from T: drop-icmpv6-bad-quote.
 4. PTB quoting T -> C6B about L4 (not C6B's lease): drop-icmpv6-bad-quote.
Internet side, afterwards: 1300-byte packets to L4 use the new MTU (DF: 3/4 with 1240; no DF:
two outer fragments of an outer MTU of 1280); a 1300-byte packet to L4B fits its 1360."""
from tep import *
from scapy.all import UDP, ICMP, ICMPv6PacketTooBig, IPv6ExtHdrFragment

ROUTER = "2001:db8:9::1"


def ptb(mtu, quoted):
    return Ether(src=GW6_MAC, dst=PORT6_MAC) / IPv6(src=ROUTER, dst=TEP6, hlim=60) / ICMPv6PacketTooBig(mtu=mtu) / quoted


def tunnelled(inner, src=TEP6, dst=C6):
    return IPv6(src=src, dst=dst, hlim=64, nh=4) / inner


def build():
    # What the TEP once sent towards C6 (TTL already decremented), as the router quotes it.
    sent = IP(src=D, dst=L4, flags="DF", ttl=59, id=1) / UDP(sport=53, dport=1) / (b"q" * 100)
    sent_b = IP(src=D, dst=L4B, ttl=59, id=2) / UDP(sport=53, dport=2) / (b"r" * 100)
    relay = IP(src=TEP4, dst=D, ttl=64, tos=0xC0, id=0) / ICMP(type=3, code=4, nexthopmtu=1240) / bytes(sent)
    in6 = [ptb(1000, tunnelled(sent)), ptb(1400, tunnelled(sent_b, dst=C6B)),
           ptb(1280, tunnelled(sent, src=C6B)), ptb(1280, tunnelled(sent, dst=C6B))]

    big_df = IP(src=D, dst=L4, flags="DF", ttl=60, id=6) / UDP(sport=53, dport=1) / (b"z" * 1272)
    big = IP(src=D, dst=L4, ttl=60, id=7) / UDP(sport=53, dport=1) / (b"f" * 1272)
    big_b = IP(src=D, dst=L4B, flags="DF", ttl=60, id=8) / UDP(sport=53, dport=2) / (b"g" * 1272)
    assert len(big_df) == len(big) == len(big_b) == 1300
    too_big = IP(src=TEP4, dst=D, ttl=64, tos=0xC0, id=0) / ICMP(type=3, code=4, nexthopmtu=1240) / bytes(big_df)[:548]
    inner = bytes(forwarded(big))
    l2 = Ether(src=PORT6_MAC, dst=GW6_MAC)
    first = l2 / IPv6(src=TEP6, dst=C6, hlim=64, nh=44) / IPv6ExtHdrFragment(nh=4, offset=0, m=1, id=0) / inner[:1232]
    second = l2 / IPv6(src=TEP6, dst=C6, hlim=64, nh=44) / IPv6ExtHdrFragment(nh=4, offset=1232 // 8, m=0, id=0) / inner[1232:]
    id_bytes = 14 + 40 + 4
    return {"in6": in6, "in4": [from_internet(big_df), from_internet(big), from_internet(big_b)],
            "out6": [first, second, to_node(forwarded(big_b), dst=C6B)],
            "out4": [to_internet(relay), to_internet(too_big)],
            "ignore": {"node side": [(0, id_bytes, 4), (1, id_bytes, 4)]},
            "counters": {"in-ipv6": 4, "in-icmpv6-ptb": 2, "drop-icmpv6-bad-quote": 2, "out-icmpv4-error": 2,
                         "in-ipv4": 3, "drop-over-mtu-but-dont-fragment-ipv4": 1, "out-ipv6-frag": 2,
                         "out-ipv6": 1}}

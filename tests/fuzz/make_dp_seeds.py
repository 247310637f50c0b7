#!/usr/bin/python3
"""Seeds for fuzz_dp_stages: L3 packets from the conformance topology (needs Debian's scapy)."""
import os
import struct
from scapy.all import IP, IPv6, UDP, ICMP, IPv6ExtHdrHopByHop, PadN, IPOption_RR

HERE = os.path.dirname(os.path.abspath(__file__))
T6, C6, L4, D, T4 = "2001:db8:1::1", "2001:db8:1::2", "192.0.2.2", "203.0.113.5", "198.51.100.1"
ENCAP_LIMIT = bytes([4, 0, 0x04, 0x01, 0x04, 0x01, 0x01, 0x00])
seeds = {
    "decap": IPv6(src=C6, dst=T6, nh=4) / IP(src=L4, dst=D) / UDP() / b"x",
    "decap_encaplimit": IPv6(src=C6, dst=T6, nh=60) / ENCAP_LIMIT / IP(src=L4, dst=D) / UDP(),
    "decap_hbh": IPv6(src=C6, dst=T6) / IPv6ExtHdrHopByHop(nh=4, options=[PadN(optdata=b"\0\0\0\0")]) / IP(src=L4, dst=D),
    "decap_ttl1": IPv6(src=C6, dst=T6, nh=4) / IP(src=L4, dst=D, ttl=1) / UDP(),
    "decap_echo": IPv6(src=C6, dst=T6, nh=4) / IP(src=L4, dst=T4) / ICMP() / b"ping",
    "decap_hairpin": IPv6(src=C6, dst=T6, nh=4) / IP(src=L4, dst="192.0.2.3") / UDP(),
    "decap_options": IPv6(src=C6, dst=T6, nh=4) / IP(src=L4, dst=D, options=[IPOption_RR()]) / UDP(),
    "encap": IP(src=D, dst=L4, tos=0x28) / UDP() / b"y",
    "encap_big_df": IP(src=D, dst=L4, flags="DF") / UDP() / (b"z" * 1500),
    "encap_echo": IP(src=D, dst=T4) / ICMP() / b"ping",
}
# Outer fragments for the reassembly stage: frames joined by the "FRAG" marker.
def fragment(data, offset, length, more, ident, ext=b"", first=44):
    rest = ext + struct.pack("!BBHI", 4, 0, offset | more, ident) + data[offset:offset + length]
    return bytes(IPv6(src=C6, dst=T6, nh=first, plen=len(rest)) / rest)


inner = bytes(IP(src=L4, dst=D) / UDP() / (b"f" * 100))
hbh = bytes([60, 0, 1, 4, 0, 0, 0, 0, 44, 0, 4, 1, 4, 1, 1, 0])
seeds["frag_pair"] = b"FRAG".join([fragment(inner, 0, 64, 1, 1), fragment(inner, 64, 64, 0, 1)])
seeds["frag_reversed_dup"] = b"FRAG".join([fragment(inner, 64, 64, 0, 2), fragment(inner, 0, 64, 1, 2),
                                           fragment(inner, 0, 64, 1, 2)])
seeds["frag_overlap"] = b"FRAG".join([fragment(inner, 0, 64, 1, 3), fragment(inner, 56, 72, 0, 3)])
seeds["frag_exthdr"] = b"FRAG".join([fragment(inner, 0, 64, 1, 4, hbh, 0), fragment(inner, 64, 64, 0, 4)])
seeds["frag_many"] = b"FRAG".join([fragment(inner, 0, 24, 1, 5)] + [fragment(inner, 24 + i * 8, 8, 1, 5) for i in range(8)])
out = os.path.join(HERE, "corpus", "fuzz_dp_stages")
os.makedirs(out, exist_ok=True)
for name, packet in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes(packet))

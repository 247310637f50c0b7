#!/usr/bin/python3
"""Seeds for fuzz_dp_stages: L3 packets from the conformance topology (needs Debian's scapy)."""
import os
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
out = os.path.join(HERE, "corpus", "fuzz_dp_stages")
os.makedirs(out, exist_ok=True)
for name, packet in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes(packet))

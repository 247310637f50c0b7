"""Case 28: Hop-by-Hop and Destination Options (Linux's Tunnel Encapsulation Limit) *before* the
Fragment header are per-fragment headers (RFC 8200 §4.5): checked on every fragment, and the
reassembled packet keeps fragment 0's, never a corrupted mix (a DPDK 22.11 rte_ip_frag hazard).
Both fragments carrying them; then only fragment 0 carrying them, the other with none."""
from tep import *
from fragments import fragments
from scapy.all import UDP

HBH = bytes([60, 0, 1, 4, 0, 0, 0, 0])             # Hop-by-Hop: PadN(4), next: Destination Options
ENCAP_LIMIT = bytes([44, 0, 4, 1, 4, 1, 1, 0])      # Tunnel Encapsulation Limit 4, PadN(1); next: 44


def build():
    inners = [IP(src=L4, dst=D, ttl=64) / UDP(sport=20 + i, dport=2) / (b"t" * 1372) for i in range(2)]
    ext = {"ext": HBH + ENCAP_LIMIT, "first_nh": 0}
    first, last = (0, 1216, True), (1216, 184, False)   # 40 + 16 + 8 + 1216 = 1280 bytes
    in6 = (fragments(bytes(inners[0]), [first, last], 0x801, **ext)
           + [fragments(bytes(inners[1]), [last], 0x802)[0], fragments(bytes(inners[1]), [first], 0x802, **ext)[0]])
    return {"in6": in6, "out4": [to_internet(forwarded(p)) for p in inners],
            "counters": {"in-ipv6": 4, "in-ipv6-frag-needs-reassembly": 4, "in-ipv6-frag-reassembled": 2,
                         "out-ipv4": 2}}

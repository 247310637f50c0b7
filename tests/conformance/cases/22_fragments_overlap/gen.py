"""Case 22: overlapping outer fragments discard the whole datagram, every mbuf freed, no ICMP
(RFC 5722 §4, RFC 8200 §4.5), in the three geometries: a partial overlap, one fragment inside
another, and the same offset with another length. DPDK 22.11's rte_ip_frag would keep them.
A late fragment that would complete the first datagram is dropped too ("including those not
yet received", RFC 5722 §4)."""
from tep import *
from fragments import fragments
from scapy.all import UDP


def build():
    data = bytes(IP(src=L4, dst=D, ttl=64) / UDP(sport=1, dport=2) / (b"x" * 1372))
    first = (0, 1232, True)
    in6 = (fragments(data, [first, (1224, 176, False)], 0x201)    # partial: [1224, 1232) twice
           + fragments(data, [first, (16, 32, True)], 0x202)      # contained in the first
           + fragments(data, [first, (0, 616, True)], 0x203)      # same offset, other length
           + fragments(data, [(1232, 168, False)], 0x201))        # late: 0x201 stays discarded
    return {"in6": in6,
            "counters": {"in-ipv6": 7, "in-ipv6-frag-needs-reassembly": 7,
                         "drop-ipv6-frag-invalid-reassembly": 7}}

"""Case 21: an outer IPv6 datagram in 2 fragments (a 1440-byte packet over a 1280-byte MTU) is
reassembled once and then decapsulated like case 1: in order, reversed, and with an exact
duplicate of the first fragment (RFC 8200 §4.5; a duplicate is tolerated, RFC 5722 §4)."""
from tep import *
from fragments import fragments
from scapy.all import UDP


def build():
    inners = [IP(src=L4, dst=D, ttl=64) / UDP(sport=1000 + i, dport=2) / (bytes(range(256)) * 6)[:1372]
              for i in range(3)]
    assert all(len(p) == 1400 for p in inners)
    first, last = (0, 1232, True), (1232, 168, False)   # 40 + 8 + 1232 = 1280 bytes
    in6 = (fragments(bytes(inners[0]), [first, last], 0x101)
           + fragments(bytes(inners[1]), [last, first], 0x102)
           + fragments(bytes(inners[2]), [first, first, last], 0x103))
    return {"in6": in6, "out4": [to_internet(forwarded(p)) for p in inners],
            "counters": {"in-ipv6": 7, "in-ipv6-frag-needs-reassembly": 7, "in-ipv6-frag-reassembled": 3,
                         "drop-ipv6-frag-duplicate": 1, "out-ipv4": 3}}

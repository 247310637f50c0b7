"""Case 24: a datagram in 9 fragments (the cap is 8) is dropped whole; and with a reassembly
table of 2 datagrams, a third evicts the oldest. No ICMP either way. The datagram still held at
the end is freed when the dataplane exits (counted as timed out, no ICMP at exit)."""
from tep import *
from fragments import fragments
from scapy.all import UDP


def build():
    def inner(sport):
        return IP(src=L4, dst=D, ttl=64) / UDP(sport=sport, dport=2) / (b"z" * 1372)

    nine = [(i * 160, 160, True) for i in range(8)] + [(1280, 120, False)]
    x1, x2, x3 = inner(11), inner(12), inner(13)
    first, last = (0, 1232, True), (1232, 168, False)
    in6 = (fragments(bytes(inner(10)), nine, 0x401)
           + fragments(bytes(x1), [first], 0x411)
           + fragments(bytes(x2), [first], 0x412)
           + fragments(bytes(x3), [first, last], 0x413))   # its first evicts x1; then it completes
    return {"in6": in6, "out4": [to_internet(forwarded(x3))],
            "config": {"reassembly.capacity": "2"},
            "counters": {"in-ipv6": 13, "in-ipv6-frag-needs-reassembly": 13, "drop-ipv6-frag-too-many": 9,
                         "drop-ipv6-frag-evicted": 1, "in-ipv6-frag-reassembled": 1, "out-ipv4": 1,
                         "drop-ipv6-frag-timeout": 1}}

"""Case 23: incomplete fragment sets are reaped at the reassembly timeout (100 ms here, 60 s by
default) and every mbuf goes back to the pool. Fragment 0 arrived: ICMPv6 Time Exceeded code 1
quoting it, as much as fits 1280 bytes (RFC 8200 §4.5, RFC 4443 §3.3). Only a later fragment
arrived: no ICMP."""
from tep import *
from fragments import fragments, ipv6_bytes
from scapy.all import UDP, ICMPv6TimeExceeded


def build():
    data = bytes(IP(src=L4, dst=D, ttl=64) / UDP(sport=1, dport=2) / (b"y" * 1372))
    with_first = fragments(data, [(0, 1232, True)], 0x301)
    without_first = fragments(data, [(1232, 168, False)], 0x302)
    quote = ipv6_bytes(with_first[0])[:1280 - 48]
    error = IPv6(src=TEP6, dst=C6, hlim=64) / ICMPv6TimeExceeded(code=1) / quote
    return {"in6": with_first + without_first,
            "out6": [Ether(src=PORT6_MAC, dst=GW6_MAC) / error],
            "config": {"reassembly.timeout_ms": "100"},
            "counters": {"in-ipv6": 2, "in-ipv6-frag-needs-reassembly": 2, "drop-ipv6-frag-timeout": 2,
                         "out-icmpv6-error": 1}}

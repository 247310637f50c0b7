"""Case 5: next header 41 (IPv6 in IPv6): dropped with ICMPv6 Parameter Problem 4/1 pointing at
the Next Header field (RFC 4443 §3.4), quoting the packet."""
from tep import *
from scapy.all import ICMPv6ParamProblem, UDP


def build():
    offending = IPv6(src=C6, dst=TEP6, nh=41, hlim=64) / IPv6(src=C6, dst="2001:db8:7::7") / UDP(sport=1, dport=2)
    error = IPv6(src=TEP6, dst=C6, hlim=64) / ICMPv6ParamProblem(code=1, ptr=6) / bytes(offending)
    return {"in6": [Ether(src=GW6_MAC, dst=PORT6_MAC) / offending],
            "out6": [Ether(src=PORT6_MAC, dst=GW6_MAC) / error],
            "counters": {"in-ipv6": 1, "drop-unknown-protocol-ipv6": 1, "out-icmpv6-error": 1}}

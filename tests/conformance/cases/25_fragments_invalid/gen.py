"""Case 25: fragments invalid on their own are dropped with ICMPv6 Parameter Problem code 0
(RFC 8200 §4.5): M=1 with a length that is not a multiple of 8 (pointer 4, the Payload Length);
a fragment whose offset + length exceeds 65535 (pointer 42, the Fragment Offset)."""
from tep import *
from fragments import fragments, ipv6_bytes
from scapy.all import UDP, ICMPv6ParamProblem


def build():
    data = bytes(IP(src=L4, dst=D, ttl=64) / UDP(sport=1, dport=2) / (b"w" * 1372))
    odd = fragments(data, [(0, 1001, True)], 0x501)[0]
    beyond = fragments(b"\0" * 65528 + b"v" * 16, [(65528, 16, False)], 0x502)[0]
    errors = [Ether(src=PORT6_MAC, dst=GW6_MAC) / IPv6(src=TEP6, dst=C6, hlim=64)
              / ICMPv6ParamProblem(code=0, ptr=ptr) / ipv6_bytes(frame)
              for frame, ptr in ((odd, 4), (beyond, 42))]
    return {"in6": [odd, beyond], "out6": errors,
            "counters": {"in-ipv6": 2, "in-ipv6-frag-needs-reassembly": 2, "drop-ipv6-frag-invalid": 2,
                         "out-icmpv6-error": 2}}

"""Case 26: a first fragment that does not hold the whole header chain up to and including the
inner IPv4 header (RFC 7112 §5) is dropped with ICMPv6 Parameter Problem code 3 (pointer 0, as
Linux sends it): 16 bytes of IPv4 header only; a Destination Options header after the Fragment
header that claims 24 bytes where 8 arrived."""
from tep import *
from fragments import fragments, ipv6_bytes
from scapy.all import UDP, ICMPv6ParamProblem


def build():
    data = bytes(IP(src=L4, dst=D, ttl=64) / UDP(sport=1, dport=2) / (b"u" * 100))
    short = fragments(data, [(0, 16, True)], 0x601)[0]
    cut_chain = fragments(bytes([4, 2, 1, 4, 0, 0, 0, 0]), [(0, 8, True)], 0x602, nh=60)[0]
    errors = [Ether(src=PORT6_MAC, dst=GW6_MAC) / IPv6(src=TEP6, dst=C6, hlim=64)
              / ICMPv6ParamProblem(code=3, ptr=0) / ipv6_bytes(frame)
              for frame in (short, cut_chain)]
    return {"in6": [short, cut_chain], "out6": errors,
            "counters": {"in-ipv6": 2, "in-ipv6-frag-needs-reassembly": 2, "drop-ipv6-frag-invalid": 2,
                         "out-icmpv6-error": 2}}

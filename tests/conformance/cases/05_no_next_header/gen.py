"""Case 5: next header 59 (No Next Header): dropped without an ICMPv6 error."""
from tep import *


def build():
    frame = Ether(src=GW6_MAC, dst=PORT6_MAC) / IPv6(src=C6, dst=TEP6, nh=59)
    return {"in6": [frame], "counters": {"in-ipv6": 1, "drop-unknown-protocol-ipv6": 1}}

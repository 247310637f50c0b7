"""Case 16: an ICMP echo to the TEP's IPv4 address through the tunnel is answered in the tunnel;
the same echo from the internet side is answered there."""
from tep import *
from scapy.all import ICMP


def build():
    request = IP(src=L4, dst=TEP4, ttl=64, id=77) / ICMP(type=8, id=0x1234, seq=1) / b"ping"
    reply = IP(src=TEP4, dst=L4, ttl=64, id=77) / ICMP(type=0, id=0x1234, seq=1) / b"ping"
    outside = IP(src=D, dst=TEP4, ttl=50, id=78) / ICMP(type=8, id=0x4321, seq=2) / b"pong"
    outside_reply = IP(src=TEP4, dst=D, ttl=64, id=78) / ICMP(type=0, id=0x4321, seq=2) / b"pong"
    return {"in6": [from_node(request)], "in4": [from_internet(outside)],
            "out6": [to_node(reply)], "out4": [to_internet(outside_reply)],
            "counters": {"in-ipv6": 1, "in-ipv4": 1, "in-icmpv4-echo-local": 2}}

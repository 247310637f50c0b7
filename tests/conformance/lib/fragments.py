"""Outer IPv6 fragments built byte by byte (RFC 8200 §4.5), for the reassembly cases 21-28.

Raw bytes rather than scapy's fragment6(), so that a case can make fragments scapy would never
make: overlapping, oddly sized, past 65535, with per-fragment headers in front.
"""
import struct

from scapy.all import Ether, IPv6, Raw
from tep import C6, TEP6, GW6_MAC, PORT6_MAC

FRAG = 44


def fragment_header(offset, more, ident, nh=4):
    return struct.pack("!BBHI", nh, 0, (offset & 0xFFF8) | (1 if more else 0), ident)


def fragment(data, offset, length, more, ident, src=C6, ext=b"", first_nh=FRAG, nh=4):
    """One frame from the node side: IPv6 (next header `first_nh`), the per-fragment headers
    `ext` (chained, the last naming 44), a Fragment header, and data[offset:offset+length]."""
    rest = ext + fragment_header(offset, more, ident, nh) + data[offset:offset + length]
    return Ether(src=GW6_MAC, dst=PORT6_MAC) / IPv6(src=src, dst=TEP6, hlim=64, nh=first_nh, plen=len(rest)) / Raw(rest)


def fragments(data, pieces, ident, **kw):
    """pieces: [(offset, length, more), ...] in the order they are sent."""
    return [fragment(data, o, n, m, ident, **kw) for o, n, m in pieces]


def ipv6_bytes(frame):
    """The IPv6 packet of a frame (what an ICMPv6 error quotes)."""
    return bytes(frame)[14:]

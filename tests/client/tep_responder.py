#!/usr/bin/python3
"""A stand-in TEP for the TUN data-path smoke test (tun_datapath.sh).

respond ADDR6:  answers every IPv4-in-IPv6 ICMP echo request sent to ADDR6 with the echo reply,
                in IPv6 from ADDR6 back to the sender (addresses swapped, type 0).
inject SRC6 DST6 INNER_DST4:  sends one IPv4-in-IPv6 ICMP echo reply from SRC6 (not the TEP).
Raw IPv6 sockets of protocol 4 (IPIP): the kernel adds and strips the outer header.
"""
import socket
import struct
import sys


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def echo_reply(src4: bytes, dst4: bytes, ident: int, seq: int, payload: bytes) -> bytes:
    icmp = struct.pack("!BBHHH", 0, 0, 0, ident, seq) + payload
    icmp = icmp[:2] + struct.pack("!H", checksum(icmp)) + icmp[4:]
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 0, 0, 64, 1, 0, src4, dst4)
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + icmp


def respond(addr6: str) -> None:
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_IPIP)
    s.bind((addr6, 0))
    print("responder ready", flush=True)
    while True:
        data, peer = s.recvfrom(65535)
        if len(data) < 28 or data[0] >> 4 != 4 or data[9] != 1:
            continue
        ihl = (data[0] & 0xF) * 4
        total = struct.unpack("!H", data[2:4])[0]
        icmp = data[ihl:total]
        if len(icmp) < 8 or icmp[0] != 8:
            continue
        ident, seq = struct.unpack("!HH", icmp[4:8])
        s.sendto(echo_reply(data[16:20], data[12:16], ident, seq, icmp[8:]), (peer[0], 0))


def inject(src6: str, dst6: str, inner_dst4: str) -> None:
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_IPIP)
    s.bind((src6, 0))
    packet = echo_reply(socket.inet_aton("198.51.100.2"), socket.inet_aton(inner_dst4), 0x4242, 1, b"forged")
    s.sendto(packet, (dst6, 0))


if __name__ == "__main__":
    if sys.argv[1] == "respond":
        respond(sys.argv[2])
    else:
        inject(sys.argv[2], sys.argv[3], sys.argv[4])

"""The conformance topology: one TEP, two nodes with leases, an internet host.

Every case builds its packets from these names, so a case reads like TEP-BEHAVIOUR.md.
Port MACs are what DPDK's net_pcap gives port N: 02:70:63:61:70:0N ("pcap").
"""
from scapy.all import Ether, IP, IPv6, Dot1Q  # noqa: F401  (re-exported for cases)

TEP6 = "2001:db8:1::1"      # T: the TEP's tunnel address
TEP4 = "198.51.100.1"       # the TEP's IPv4 address
POOL = "192.0.2.0/24"
C6, L4 = "2001:db8:1::2", "192.0.2.2"      # node C with its lease
C6B, L4B = "2001:db8:1::3", "192.0.2.3"    # another node
D = "203.0.113.5"           # an IPv4 host on the internet
PORT6_MAC, PORT4_MAC = "02:70:63:61:70:00", "02:70:63:61:70:01"
GW6_MAC, GW4_MAC = "02:00:00:00:06:fe", "02:00:00:00:04:fe"
MAPPINGS = f"{L4} {C6}\n{L4B} {C6B}\n"


def config(**overrides):
    """The TOML configuration; overrides replace whole `[table] key = value` lines by dotted key
    (None removes the key, e.g. {"next_hops.ipv4.mac": None} to have the TEP resolve it)."""
    values = {
        "tep.ipv6": f'["{TEP6}"]', "tep.ipv4": f'"{TEP4}"', "tep.pools": f'["{POOL}"]',
        "tep.tunnel_mtu": "1460", "tep.hop_limit": "64", "tep.hairpinning": "true",
        "ports.ipv6.port": "0", "ports.ipv4.port": "1",
        "next_hops.ipv6.gateway": '"2001:db8:1::fe"', "next_hops.ipv6.mac": f'"{GW6_MAC}"',
        "next_hops.ipv4.gateway": '"198.51.100.254"', "next_hops.ipv4.mac": f'"{GW4_MAC}"',
        "icmp.rate_per_second": "1000", "icmp.burst": "100",
    }
    values.update(overrides)
    values = {k: v for k, v in values.items() if v is not None}
    tables = {}
    for key, value in values.items():
        table, _, name = key.rpartition(".")
        tables.setdefault(table, []).append(f"{name} = {value}")
    return "".join(f"[{t}]\n" + "\n".join(lines) + "\n" for t, lines in tables.items())


def from_node(inner, src=C6, dst=TEP6, vlan=None):
    """A frame from the node-side gateway: IPv6 (C6 -> T) carrying `inner`."""
    l2 = Ether(src=GW6_MAC, dst=PORT6_MAC)
    if vlan is not None:
        l2 = l2 / Dot1Q(vlan=vlan)
    return l2 / IPv6(src=src, dst=dst, hlim=64, nh=4) / inner


def from_internet(packet, vlan=None):
    l2 = Ether(src=GW4_MAC, dst=PORT4_MAC)
    if vlan is not None:
        l2 = l2 / Dot1Q(vlan=vlan)
    return l2 / packet


def to_internet(packet, src_mac=PORT4_MAC, vlan=None):
    """What the TEP sends towards the IPv4 gateway."""
    l2 = Ether(src=src_mac, dst=GW4_MAC)
    if vlan is not None:
        l2 = l2 / Dot1Q(vlan=vlan)
    return l2 / packet


def to_node(inner, dst=C6, tc=0, src_mac=PORT6_MAC, vlan=None):
    """What the TEP sends into the tunnel: T -> dst, next header 4, hop limit 64."""
    l2 = Ether(src=src_mac, dst=GW6_MAC)
    if vlan is not None:
        l2 = l2 / Dot1Q(vlan=vlan)
    return l2 / IPv6(src=TEP6, dst=dst, hlim=64, tc=tc, nh=4) / inner


def forwarded(packet):
    """`packet` (scapy IP) one hop later: TTL - 1 and a fresh checksum."""
    p = packet.copy()
    p.ttl -= 1
    del p.chksum
    return IP(bytes(p))

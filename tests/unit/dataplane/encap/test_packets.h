// Test helpers for the encap and ICMP stages: packets built with the lib/net header views into
// a byte vector with headroom, and a PacketBuf over it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "net/net.h"
#include "packet/packet_buf.h"
#include "packet/tep_context.h"

namespace dstm::dp::test {

inline constexpr std::uint32_t kHeadroom = 128;
inline constexpr std::uint32_t kTailroom = 64;

inline const net::Ipv4Address kTep4 = net::Ipv4Address::from_octets(192, 0, 2, 1);
inline const net::Ipv4Address kInternet = net::Ipv4Address::from_octets(203, 0, 113, 7);  // D
inline const net::Ipv4Address kLease = net::Ipv4Address::from_octets(198, 51, 100, 10);   // L4
inline const net::Ipv4Address kOtherLease = net::Ipv4Address::from_octets(198, 51, 100, 20);
inline const net::Ipv6Address kTep6 = *net::Ipv6Address::parse("2001:db8::1");     // T
inline const net::Ipv6Address kNode6 = *net::Ipv6Address::parse("2001:db8:c::6");  // C6

inline TepContext make_tep() {
  TepContext tep;
  tep.tep_ipv6 = {kTep6};
  tep.tep_ipv4 = kTep4;
  tep.pools = {*net::Ipv4Prefix::parse("198.51.100.0/24")};
  return tep;
}

// A packet in a buffer with room around it; not copyable (pkt points into storage).
struct TestBuf {
  std::vector<std::uint8_t> storage;
  PacketBuf pkt;

  explicit TestBuf(std::span<const std::uint8_t> bytes, std::uint32_t headroom = kHeadroom,
                   std::uint32_t tailroom = kTailroom)
      : storage(headroom + bytes.size() + tailroom, 0xEE) {
    std::copy(bytes.begin(), bytes.end(), storage.begin() + headroom);
    pkt.data = storage.data() + headroom;
    pkt.len = static_cast<std::uint32_t>(bytes.size());
    pkt.headroom = headroom;
    pkt.tailroom = tailroom;
  }
  TestBuf(const TestBuf&) = delete;
  TestBuf& operator=(const TestBuf&) = delete;

  std::vector<std::uint8_t> contents() const { return {pkt.data, pkt.data + pkt.len}; }
};

// An empty output buffer (len 0) with `room` bytes of tailroom, for the ICMP builders.
struct OutBuf {
  std::vector<std::uint8_t> storage;
  PacketBuf pkt;
  explicit OutBuf(std::uint32_t room = 2048) : storage(room + 64, 0xEE) {
    pkt.data = storage.data() + 64;
    pkt.headroom = 64;
    pkt.tailroom = room;
  }
  std::span<const std::uint8_t> bytes() const { return {pkt.data, pkt.len}; }
};

struct Ipv4Spec {
  net::Ipv4Address src = kInternet;
  net::Ipv4Address dst = kLease;
  std::uint8_t ttl = 64;
  std::uint8_t protocol = net::kProtoUdp;
  std::uint8_t tos = 0;
  bool dont_fragment = false;
  bool more_fragments = false;
  std::uint16_t fragment_offset = 0;  // 8-byte units
  std::size_t payload_length = 32;
};

// An IPv4 datagram (IHL 5) with a patterned payload and a correct header checksum.
inline std::vector<std::uint8_t> make_ipv4(const Ipv4Spec& s) {
  std::vector<std::uint8_t> b(net::Ipv4Header::kSize + s.payload_length);
  for (std::size_t i = net::Ipv4Header::kSize; i < b.size(); ++i) {
    b[i] = static_cast<std::uint8_t>(i * 7 + 3);
  }
  auto ip = net::Ipv4Header::at(b);
  ip->set_version_ihl(4, 5);
  ip->set_tos(s.tos);
  ip->set_total_length(static_cast<std::uint16_t>(b.size()));
  ip->set_id(0x1234);
  ip->set_flags_fragment(0);
  ip->set_dont_fragment(s.dont_fragment);
  ip->set_more_fragments(s.more_fragments);
  ip->set_fragment_offset(s.fragment_offset);
  ip->set_ttl(s.ttl);
  ip->set_protocol(s.protocol);
  ip->set_src(s.src);
  ip->set_dst(s.dst);
  net::ipv4_set_header_checksum(*ip);
  return b;
}

// An ICMPv4 message of `type` (code 0, identifier/sequence set) with a valid ICMP checksum.
inline std::vector<std::uint8_t> make_icmpv4(Ipv4Spec s, std::uint8_t type) {
  s.protocol = net::kProtoIcmp;
  auto b = make_ipv4(s);
  auto icmp = net::IcmpHeader::at(std::span(b).subspan(net::Ipv4Header::kSize));
  icmp->set_type(type);
  icmp->set_code(0);
  icmp->set_identifier(0x4242);
  icmp->set_sequence(7);
  icmp->set_checksum(0);
  icmp->set_checksum(net::internet_checksum(icmp->bytes()));
  return b;
}

// An IPv6 packet with `payload` after the fixed header.
inline std::vector<std::uint8_t> make_ipv6(const net::Ipv6Address& src, const net::Ipv6Address& dst,
                                           std::uint8_t next_header,
                                           std::span<const std::uint8_t> payload) {
  std::vector<std::uint8_t> b(net::Ipv6Header::kSize);
  b.insert(b.end(), payload.begin(), payload.end());
  auto ip = net::Ipv6Header::at(b);
  ip->set_version_class_flow(6, 0, 0);
  ip->set_payload_length(static_cast<std::uint16_t>(payload.size()));
  ip->set_next_header(next_header);
  ip->set_hop_limit(64);
  ip->set_src(src);
  ip->set_dst(dst);
  return b;
}

}  // namespace dstm::dp::test

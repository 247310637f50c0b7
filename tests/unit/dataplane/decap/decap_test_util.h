// Hand-built packets for the decap tests: inner IPv4, outer IPv6 with extension headers, and a
// PacketBuf over a byte vector with headroom, shaped like an mbuf.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "net/net.h"
#include "packet/decap.h"

namespace dstm::dp::test {

using Bytes = std::vector<std::uint8_t>;

inline constexpr std::uint32_t kHeadroom = 128;
inline constexpr std::uint32_t kTailroom = 64;

// C = a node (C6, lease L4), T = the TEP, D = an IPv4 destination on the internet.
inline const net::Ipv6Address kNode6 = *net::Ipv6Address::parse("2001:db8:1::c6");
inline const net::Ipv6Address kOtherNode6 = *net::Ipv6Address::parse("2001:db8:1::c7");
inline const net::Ipv6Address kTep6 = *net::Ipv6Address::parse("2001:db8:ffff::1");
inline const net::Ipv6Address kTep6Second = *net::Ipv6Address::parse("2001:db8:ffff::2");
inline const net::Ipv6Address kNotTep6 = *net::Ipv6Address::parse("2001:db8:ffff::99");
inline constexpr net::Ipv4Address kLease4 = net::Ipv4Address::from_octets(198, 51, 100, 10);
inline constexpr net::Ipv4Address kOtherLease4 = net::Ipv4Address::from_octets(198, 51, 100, 11);
inline constexpr net::Ipv4Address kInternet4 = net::Ipv4Address::from_octets(203, 0, 113, 7);
inline constexpr net::Ipv4Address kTep4 = net::Ipv4Address::from_octets(192, 0, 2, 1);

inline TepContext make_tep() {
  TepContext tep;
  tep.tep_ipv6 = {kTep6, kTep6Second};
  tep.tep_ipv4 = kTep4;
  tep.pools = {*net::Ipv4Prefix::parse("198.51.100.0/24")};
  return tep;
}

// An mbuf-like buffer: kHeadroom free bytes, the packet, kTailroom free bytes.
class TestPacket {
 public:
  explicit TestPacket(const Bytes& bytes) : storage_(kHeadroom + bytes.size() + kTailroom) {
    std::copy(bytes.begin(), bytes.end(), storage_.begin() + kHeadroom);
    buf.data = storage_.data() + kHeadroom;
    buf.len = static_cast<std::uint32_t>(bytes.size());
    buf.headroom = kHeadroom;
    buf.tailroom = kTailroom;
  }
  TestPacket(const TestPacket&) = delete;
  TestPacket& operator=(const TestPacket&) = delete;

  Bytes bytes() const { return Bytes(buf.data, buf.data + buf.len); }

  PacketBuf buf;

 private:
  Bytes storage_;
};

struct Inner {
  net::Ipv4Address src = kLease4;
  net::Ipv4Address dst = kInternet4;
  std::uint8_t ttl = 64;
  std::uint8_t tos = 0;
  std::uint8_t protocol = net::kProtoUdp;
  std::uint16_t flags_fragment = 0;
  Bytes options;  // a multiple of 4 bytes
  Bytes payload = {0x12, 0x34, 0x56, 0x78, 0x00, 0x08, 0x00, 0x00};
};

// A valid IPv4 packet, checksum computed from scratch.
inline Bytes ipv4_packet(const Inner& in) {
  if (in.options.size() % 4 != 0) throw std::invalid_argument("options not a multiple of 4");
  const std::size_t header = net::Ipv4Header::kSize + in.options.size();
  Bytes out(header + in.payload.size());
  auto h = *net::Ipv4Header::at(out);
  h.set_version_ihl(4, static_cast<std::uint8_t>(header / 4));
  h.set_tos(in.tos);
  h.set_total_length(static_cast<std::uint16_t>(out.size()));
  h.set_id(0x1234);
  h.set_flags_fragment(in.flags_fragment);
  h.set_ttl(in.ttl);
  h.set_protocol(in.protocol);
  h.set_src(in.src);
  h.set_dst(in.dst);
  std::copy(in.options.begin(), in.options.end(), out.begin() + net::Ipv4Header::kSize);
  std::copy(in.payload.begin(), in.payload.end(), out.begin() + static_cast<long>(header));
  net::ipv4_set_header_checksum(h);
  return out;
}

// An ICMP echo request (RFC 792) with a correct ICMP checksum.
inline Bytes echo_request_payload() {
  Bytes icmp = {net::kIcmpEchoRequest, 0, 0, 0, 0x0b, 0xad, 0x00, 0x01, 'p', 'i', 'n', 'g'};
  net::IcmpHeader::at(icmp)->set_checksum(net::internet_checksum(icmp));
  return icmp;
}

struct Outer {
  net::Ipv6Address src = kNode6;
  net::Ipv6Address dst = kTep6;
  std::uint8_t next = net::kProtoIpv4InIpv6;  // the fixed header's next header
  std::uint8_t hop_limit = 64;
  std::uint8_t traffic_class = 0;
  Bytes ext;  // extension headers, already chained (the last names the payload)
};

inline Bytes ipv6_packet(const Outer& o, const Bytes& payload) {
  Bytes out(net::Ipv6Header::kSize);
  out.insert(out.end(), o.ext.begin(), o.ext.end());
  out.insert(out.end(), payload.begin(), payload.end());
  auto h = *net::Ipv6Header::at(out);
  h.set_version_class_flow(6, o.traffic_class, 0);
  h.set_payload_length(static_cast<std::uint16_t>(out.size() - net::Ipv6Header::kSize));
  h.set_next_header(o.next);
  h.set_hop_limit(o.hop_limit);
  h.set_src(o.src);
  h.set_dst(o.dst);
  return out;
}

// Hop-by-Hop or Destination Options header (RFC 8200 §4.2): `options` must pad it to 8n bytes.
inline Bytes options_header(std::uint8_t next, const Bytes& options) {
  if ((options.size() + 2) % 8 != 0) throw std::invalid_argument("options header not 8n bytes");
  Bytes out = {next, static_cast<std::uint8_t>((options.size() + 2) / 8 - 1)};
  out.insert(out.end(), options.begin(), options.end());
  return out;
}
// What Linux ip6_tnl sends by default: Tunnel Encapsulation Limit 4, then PadN (RFC 2473 §4.1.1).
inline Bytes encap_limit_header(std::uint8_t next) {
  return options_header(next, {4, 1, 4, 1, 1, 0});
}
inline Bytes routing_header(std::uint8_t next, std::uint8_t type, std::uint8_t segments_left) {
  return {next, 0, type, segments_left, 0, 0, 0, 0};
}
inline Bytes fragment_header(std::uint8_t next, std::uint16_t offset_units, bool more) {
  const auto word = static_cast<std::uint16_t>((offset_units << 3) | (more ? 1 : 0));
  return {next, 0, static_cast<std::uint8_t>(word >> 8), static_cast<std::uint8_t>(word), 0, 0,
          0,    42};
}
inline Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// decap_parse then decap_finish, with the binding the mapping table would return.
inline Verdict run(const TepContext& tep, TestPacket& pkt, const net::Ipv6Address* binding) {
  const DecapParse parsed = decap_parse(tep, pkt.buf);
  return decap_finish(tep, pkt.buf, parsed, binding);
}
inline Verdict run(const TepContext& tep, TestPacket& pkt) {
  return run(tep, pkt, &kNode6);
}

inline std::string counter_name(const Verdict& v) {
  return std::string(info(v.counter).name);
}

// A drop counted in `counter` with the given ICMP error (kNone: silent).
inline void check_drop(const Verdict& v, const std::string& counter,
                       IcmpError icmp = IcmpError::kNone, std::uint8_t code = 0,
                       std::uint32_t pointer = 0) {
  CHECK(v.action == Action::kDrop);
  CHECK(counter_name(v) == counter);
  CHECK(static_cast<int>(v.icmp) == static_cast<int>(icmp));
  CHECK(int{v.icmp_code} == int{code});
  CHECK(v.pointer == pointer);
}

// Forwarded to the IPv4 side as exactly `expected_inner` (usually `inner` with TTL 63, its
// checksum computed from scratch, so it must equal the incremental update).
inline void check_forwarded(const Verdict& v, const TestPacket& pkt, const Bytes& expected_inner) {
  CHECK(v.action == Action::kToIpv4Side);
  CHECK(counter_name(v) == "out-ipv4");
  CHECK(v.icmp == IcmpError::kNone);
  CHECK(pkt.bytes() == expected_inner);
}
inline Bytes forwarded(Inner in) {
  in.ttl = static_cast<std::uint8_t>(in.ttl - 1);
  return ipv4_packet(in);
}

}  // namespace dstm::dp::test

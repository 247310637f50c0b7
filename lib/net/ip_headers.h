// IPv4 (RFC 791 §3.1) and IPv6 (RFC 8200 §3) header views.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "net/address.h"
#include "net/header_view.h"

namespace dstm::net {

class Ipv4Header : public detail::HeaderView {
 public:
  static constexpr std::size_t kSize = 20;  // without options
  static constexpr std::uint16_t kFlagDontFragment = 0x4000;
  static constexpr std::uint16_t kFlagMoreFragments = 0x2000;
  static constexpr std::uint16_t kFragmentOffsetMask = 0x1FFF;

  // nullopt when fewer than kSize bytes; nothing else is checked: see valid_basic().
  static std::optional<Ipv4Header> at(std::span<std::uint8_t> bytes) {
    if (bytes.size() < kSize) return std::nullopt;
    return Ipv4Header(bytes);
  }

  // RFC 1812 §5.2.2's header validation, less the checksum (ipv4_header_checksum_valid() in
  // checksum.h): version 4, IHL of at least 5 words, total length covering the header and not
  // exceeding the `available` bytes actually received; and the header must fit the view.
  bool valid_basic(std::size_t available) const {
    return version() == 4 && ihl() >= 5 && total_length() >= header_length() &&
           total_length() <= available && header_length() <= bytes().size();
  }
  bool valid_basic() const { return valid_basic(bytes().size()); }

  std::uint8_t version() const { return static_cast<std::uint8_t>(u8(0) >> 4); }
  std::uint8_t ihl() const { return u8(0) & 0x0F; }  // in 32-bit words
  std::size_t header_length() const { return std::size_t{ihl()} * 4; }
  std::uint8_t tos() const { return u8(1); }
  std::uint8_t dscp() const { return static_cast<std::uint8_t>(tos() >> 2); }  // RFC 2474
  std::uint8_t ecn() const { return tos() & 0x03; }                            // RFC 3168
  std::uint16_t total_length() const { return u16(2); }
  std::uint16_t id() const { return u16(4); }
  std::uint16_t flags_fragment() const { return u16(6); }  // the raw 16-bit word
  bool dont_fragment() const { return (flags_fragment() & kFlagDontFragment) != 0; }
  bool more_fragments() const { return (flags_fragment() & kFlagMoreFragments) != 0; }
  // In 8-byte units.
  std::uint16_t fragment_offset() const { return flags_fragment() & kFragmentOffsetMask; }
  bool is_fragment() const { return more_fragments() || fragment_offset() != 0; }
  std::uint8_t ttl() const { return u8(8); }
  std::uint8_t protocol() const { return u8(9); }
  std::uint16_t checksum() const { return u16(10); }
  Ipv4Address src() const { return Ipv4Address::from_bytes(ptr(12)); }
  Ipv4Address dst() const { return Ipv4Address::from_bytes(ptr(16)); }

  // Options: bytes kSize..header_length(), clamped to the span (empty if IHL <= 5).
  std::span<std::uint8_t> options() const {
    return header_length() > kSize ? clamped(kSize, header_length() - kSize)
                                   : std::span<std::uint8_t>{};
  }
  // The header with its options, clamped to the span; never shorter than kSize.
  std::span<std::uint8_t> header_bytes() const {
    return clamped(0, header_length() > kSize ? header_length() : kSize);
  }
  // header_length()..total_length(), clamped to the span; meaningful once valid_basic().
  std::span<std::uint8_t> payload() const {
    const std::size_t total = total_length();
    return total > header_length() ? clamped(header_length(), total - header_length())
                                   : std::span<std::uint8_t>{};
  }

  void set_version_ihl(std::uint8_t version, std::uint8_t ihl) {
    set_u8(0, static_cast<std::uint8_t>((version << 4) | (ihl & 0x0F)));
  }
  void set_tos(std::uint8_t v) { set_u8(1, v); }
  void set_dscp(std::uint8_t dscp) {
    set_tos(static_cast<std::uint8_t>(((dscp & 0x3F) << 2) | ecn()));
  }
  void set_ecn(std::uint8_t ecn) {
    set_tos(static_cast<std::uint8_t>((tos() & 0xFC) | (ecn & 0x03)));
  }
  void set_total_length(std::uint16_t v) { set_u16(2, v); }
  void set_id(std::uint16_t v) { set_u16(4, v); }
  void set_flags_fragment(std::uint16_t v) { set_u16(6, v); }
  void set_dont_fragment(bool on) { set_flag(kFlagDontFragment, on); }
  void set_more_fragments(bool on) { set_flag(kFlagMoreFragments, on); }
  void set_fragment_offset(std::uint16_t units) {
    set_flags_fragment(static_cast<std::uint16_t>((flags_fragment() & ~kFragmentOffsetMask) |
                                                  (units & kFragmentOffsetMask)));
  }
  void set_ttl(std::uint8_t v) { set_u8(8, v); }
  void set_protocol(std::uint8_t v) { set_u8(9, v); }
  void set_checksum(std::uint16_t v) { set_u16(10, v); }
  void set_src(Ipv4Address a) { a.to_bytes(ptr(12)); }
  void set_dst(Ipv4Address a) { a.to_bytes(ptr(16)); }

 private:
  explicit Ipv4Header(std::span<std::uint8_t> bytes) : HeaderView(bytes) {}
  void set_flag(std::uint16_t flag, bool on) {
    const std::uint16_t v = flags_fragment();
    set_flags_fragment(static_cast<std::uint16_t>(on ? (v | flag) : (v & ~flag)));
  }
};

// The fixed IPv6 header. Extension headers, if any, start at payload().
class Ipv6Header : public detail::HeaderView {
 public:
  static constexpr std::size_t kSize = 40;

  static std::optional<Ipv6Header> at(std::span<std::uint8_t> bytes) {
    if (bytes.size() < kSize) return std::nullopt;
    return Ipv6Header(bytes);
  }

  // Version (4 bits), Traffic Class (8), Flow Label (20) share the first 32-bit word.
  std::uint8_t version() const { return static_cast<std::uint8_t>(u32(0) >> 28); }
  std::uint8_t traffic_class() const { return static_cast<std::uint8_t>(u32(0) >> 20); }
  std::uint32_t flow_label() const { return u32(0) & 0x000FFFFF; }
  std::uint16_t payload_length() const { return u16(4); }
  std::uint8_t next_header() const { return u8(6); }
  std::uint8_t hop_limit() const { return u8(7); }
  Ipv6Address src() const { return Ipv6Address::from_bytes(ptr(8)); }
  Ipv6Address dst() const { return Ipv6Address::from_bytes(ptr(24)); }
  // kSize..kSize + payload_length(), clamped to the span.
  std::span<std::uint8_t> payload() const { return clamped(kSize, payload_length()); }

  void set_version_class_flow(std::uint8_t version, std::uint8_t traffic_class,
                              std::uint32_t flow_label) {
    set_u32(0, (std::uint32_t{version} << 28) | (std::uint32_t{traffic_class} << 20) |
                   (flow_label & 0x000FFFFF));
  }
  void set_version(std::uint8_t v) { set_version_class_flow(v, traffic_class(), flow_label()); }
  void set_traffic_class(std::uint8_t v) { set_version_class_flow(version(), v, flow_label()); }
  void set_flow_label(std::uint32_t v) { set_version_class_flow(version(), traffic_class(), v); }
  void set_payload_length(std::uint16_t v) { set_u16(4, v); }
  void set_next_header(std::uint8_t v) { set_u8(6, v); }
  void set_hop_limit(std::uint8_t v) { set_u8(7, v); }
  void set_src(const Ipv6Address& a) { a.to_bytes(ptr(8)); }
  void set_dst(const Ipv6Address& a) { a.to_bytes(ptr(24)); }

 private:
  explicit Ipv6Header(std::span<std::uint8_t> bytes) : HeaderView(bytes) {}
};

}  // namespace dstm::net

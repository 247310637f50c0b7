// ICMPv4 (RFC 792), ICMPv6 (RFC 4443 §2.1) and UDP (RFC 768) header views.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "net/header_view.h"

namespace dstm::net {
namespace detail {

// ICMPv4 and ICMPv6 share their first 8 bytes: type, code, checksum, and 32 bits whose meaning
// depends on the type (unused, pointer, MTU, or identifier + sequence). Tag keeps the two
// apart as types so that an ICMPv6 view cannot be passed where ICMPv4 is meant.
template <class Tag>
class BasicIcmpHeader : public HeaderView {
 public:
  static constexpr std::size_t kSize = 8;

  static std::optional<BasicIcmpHeader> at(std::span<std::uint8_t> bytes) {
    if (bytes.size() < kSize) return std::nullopt;
    return BasicIcmpHeader(bytes);
  }

  std::uint8_t type() const { return u8(0); }
  std::uint8_t code() const { return u8(1); }
  std::uint16_t checksum() const { return u16(2); }
  std::uint32_t rest() const { return u32(4); }
  std::uint16_t identifier() const { return u16(4); }  // echo request / reply
  std::uint16_t sequence() const { return u16(6); }
  // The message body after the 8 bytes: for errors, as much of the invoking packet as fits.
  std::span<std::uint8_t> payload() const { return bytes().subspan(kSize); }

  void set_type(std::uint8_t v) { set_u8(0, v); }
  void set_code(std::uint8_t v) { set_u8(1, v); }
  void set_checksum(std::uint16_t v) { set_u16(2, v); }
  void set_rest(std::uint32_t v) { set_u32(4, v); }
  void set_identifier(std::uint16_t v) { set_u16(4, v); }
  void set_sequence(std::uint16_t v) { set_u16(6, v); }

 private:
  explicit BasicIcmpHeader(std::span<std::uint8_t> bytes) : HeaderView(bytes) {}
};

struct Icmpv4Tag {};
struct Icmpv6Tag {};

}  // namespace detail

using IcmpHeader = detail::BasicIcmpHeader<detail::Icmpv4Tag>;
// The ICMPv6 checksum covers a pseudo-header (RFC 4443 §2.3): see pseudo_header_sum_v6().
using Icmpv6Header = detail::BasicIcmpHeader<detail::Icmpv6Tag>;

class UdpHeader : public detail::HeaderView {
 public:
  static constexpr std::size_t kSize = 8;

  static std::optional<UdpHeader> at(std::span<std::uint8_t> bytes) {
    if (bytes.size() < kSize) return std::nullopt;
    return UdpHeader(bytes);
  }

  std::uint16_t src_port() const { return u16(0); }
  std::uint16_t dst_port() const { return u16(2); }
  std::uint16_t length() const { return u16(4); }  // header + data
  // 0 means "no checksum" over IPv4 (RFC 768); a computed 0 is sent as 0xFFFF.
  std::uint16_t checksum() const { return u16(6); }
  // kSize..length(), clamped to the span (empty if length() < kSize).
  std::span<std::uint8_t> payload() const {
    return length() > kSize ? clamped(kSize, length() - kSize) : std::span<std::uint8_t>{};
  }

  void set_src_port(std::uint16_t v) { set_u16(0, v); }
  void set_dst_port(std::uint16_t v) { set_u16(2, v); }
  void set_length(std::uint16_t v) { set_u16(4, v); }
  void set_checksum(std::uint16_t v) { set_u16(6, v); }

 private:
  explicit UdpHeader(std::span<std::uint8_t> bytes) : HeaderView(bytes) {}
};

}  // namespace dstm::net

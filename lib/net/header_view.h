// The common base of the header views: a mutable byte span with network-order field access.
//
// A view is zero-copy and as cheap to pass as a span. It views the whole span it was made
// from: its header is the first kSize bytes and payload() is what follows. Views are only
// made through X::at(span), which checks the fixed part fits, so the accessors need no
// bounds checks of their own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "net/byte_order.h"

namespace dstm::net::detail {

class HeaderView {
 public:
  // Everything the view was made from: header and payload.
  std::span<std::uint8_t> bytes() const { return bytes_; }

 protected:
  explicit HeaderView(std::span<std::uint8_t> bytes) : bytes_(bytes) {}

  std::uint8_t* ptr(std::size_t offset) const { return bytes_.data() + offset; }
  std::uint8_t u8(std::size_t offset) const { return bytes_[offset]; }
  std::uint16_t u16(std::size_t offset) const { return load_be16(ptr(offset)); }
  std::uint32_t u32(std::size_t offset) const { return load_be32(ptr(offset)); }
  void set_u8(std::size_t offset, std::uint8_t v) { bytes_[offset] = v; }
  void set_u16(std::size_t offset, std::uint16_t v) { store_be16(ptr(offset), v); }
  void set_u32(std::size_t offset, std::uint32_t v) { store_be32(ptr(offset), v); }

  // Bytes [from, from + length) clamped to the span, so a lying length field never reads past
  // the buffer.
  std::span<std::uint8_t> clamped(std::size_t from, std::size_t length) const {
    if (from >= bytes_.size()) return {};
    const std::size_t available = bytes_.size() - from;
    return bytes_.subspan(from, length < available ? length : available);
  }

 private:
  std::span<std::uint8_t> bytes_;
};

}  // namespace dstm::net::detail

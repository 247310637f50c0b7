// A view of one contiguous packet with room around it, shaped like a single-segment rte_mbuf
// (prepend / adj / trim), so the packet stages run in unit tests without EAL (STYLE.md §2).
#pragma once

#include <cstdint>
#include <span>

namespace dstm::dp {

struct PacketBuf {
  std::uint8_t* data = nullptr;  // first byte of the packet (L3 in the stages below)
  std::uint32_t len = 0;         // bytes of packet
  std::uint32_t headroom = 0;    // free bytes before data
  std::uint32_t tailroom = 0;    // free bytes after data + len

  std::span<std::uint8_t> bytes() const { return {data, len}; }
  // Grows the packet at the front by n bytes; nullptr (and no change) without the headroom.
  std::uint8_t* prepend(std::uint32_t n) {
    if (n > headroom) return nullptr;
    data -= n;
    headroom -= n;
    len += n;
    return data;
  }
  // Removes n bytes at the front; false (no change) when the packet is shorter.
  bool adj(std::uint32_t n) {
    if (n > len) return false;
    data += n;
    headroom += n;
    len -= n;
    return true;
  }
  // Grows the packet at the end by n bytes; nullptr (and no change) without the tailroom.
  std::uint8_t* append(std::uint32_t n) {
    if (n > tailroom) return nullptr;
    std::uint8_t* end = data + len;
    tailroom -= n;
    len += n;
    return end;
  }
  // Removes n bytes at the end; false (no change) when the packet is shorter.
  bool trim(std::uint32_t n) {
    if (n > len) return false;
    len -= n;
    tailroom += n;
    return true;
  }
};

}  // namespace dstm::dp

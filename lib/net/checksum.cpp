#include "net/checksum.h"

namespace dstm::net {
namespace {

// Folds a wide accumulator to at most 0xFFFF without complementing. The end-around carry is
// what makes two's-complement addition ones'-complement (RFC 1071 §2(B)).
std::uint32_t fold_to_16(std::uint64_t sum) {
  while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint32_t>(sum);
}

std::uint32_t not16(std::uint16_t v) {
  return static_cast<std::uint16_t>(~v);
}

}  // namespace

std::uint32_t checksum_partial(std::span<const std::uint8_t> bytes, std::uint32_t sum) {
  // Deferred carries (RFC 1071 §2(C)): a 64-bit accumulator cannot overflow before 2^48 words.
  std::uint64_t acc = sum;
  const std::size_t even = bytes.size() & ~std::size_t{1};
  for (std::size_t i = 0; i < even; i += 2) acc += load_be16(&bytes[i]);
  if (even != bytes.size()) acc += std::uint32_t{bytes[even]} << 8;  // pad with a zero byte
  return fold_to_16(acc);
}

std::uint16_t internet_checksum(std::span<const std::uint8_t> bytes) {
  return checksum_fold(checksum_partial(bytes));
}

std::uint32_t pseudo_header_sum_v4(Ipv4Address src, Ipv4Address dst, std::uint8_t protocol,
                                   std::uint16_t length) {
  const std::uint32_t s = src.to_host();
  const std::uint32_t d = dst.to_host();
  const std::uint64_t acc = std::uint64_t{s >> 16} + (s & 0xFFFF) + (d >> 16) + (d & 0xFFFF) +
                            protocol + length;  // the zero byte and protocol form one word
  return fold_to_16(acc);
}

std::uint32_t pseudo_header_sum_v6(const Ipv6Address& src, const Ipv6Address& dst,
                                   std::uint8_t next_header, std::uint32_t length) {
  std::uint64_t acc = checksum_partial(src.bytes());
  acc += checksum_partial(dst.bytes());
  acc += (length >> 16) + (length & 0xFFFF) + next_header;  // 3 zero bytes, then next header
  return fold_to_16(acc);
}

std::uint16_t checksum_update16(std::uint16_t old_checksum, std::uint16_t old_field,
                                std::uint16_t new_field) {
  // RFC 1624 §3 eqn. 3: HC' = ~(~HC + ~m + m'); checksum_fold adds the carries and the ~.
  return checksum_fold(not16(old_checksum) + not16(old_field) + new_field);
}

std::uint16_t checksum_update32(std::uint16_t old_checksum, std::uint32_t old_field,
                                std::uint32_t new_field) {
  const auto hi = [](std::uint32_t v) { return static_cast<std::uint16_t>(v >> 16); };
  const auto lo = [](std::uint32_t v) { return static_cast<std::uint16_t>(v); };
  return checksum_fold(not16(old_checksum) + not16(hi(old_field)) + not16(lo(old_field)) +
                       hi(new_field) + lo(new_field));
}

bool ipv4_header_checksum_valid(const Ipv4Header& header) {
  if (header.ihl() < 5 || header.header_length() > header.bytes().size()) return false;
  return internet_checksum(header.header_bytes()) == 0;
}

void ipv4_set_header_checksum(Ipv4Header header) {
  header.set_checksum(0);
  header.set_checksum(internet_checksum(header.header_bytes()));
}

std::uint8_t ipv4_decrement_ttl(Ipv4Header header) {
  // TTL and protocol share the 16-bit word at offset 8.
  const auto word = [&header] {
    return static_cast<std::uint16_t>((header.ttl() << 8) | header.protocol());
  };
  const std::uint16_t old_word = word();
  header.set_ttl(static_cast<std::uint8_t>(header.ttl() - 1));
  header.set_checksum(checksum_update16(header.checksum(), old_word, word()));
  return header.ttl();
}

}  // namespace dstm::net

// Helpers shared by the mapping tests: addresses, self-checking values, table construction.
#pragma once

#include <cstdint>
#include <memory>
#include <random>

#include "mapping/mapping.h"

namespace dstm::mapping::test {

constexpr std::uint32_t ipv4(std::uint32_t a, std::uint32_t b, std::uint32_t c, std::uint32_t d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

constexpr std::uint32_t check_word(std::uint32_t key, std::uint64_t version) {
  std::uint64_t x = (std::uint64_t{key} << 32) ^ version ^ 0x9E3779B97F4A7C15ull;
  x ^= x >> 29;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 32;
  return static_cast<std::uint32_t>(x);
}

// A value that names its key and version and carries a check word over both, so a reader can
// tell that a value is whole (not torn) and really belonged to the key it looked up.
inline Ipv6Value make_value(std::uint32_t key, std::uint64_t version) {
  Ipv6Value v;
  const std::uint32_t check = check_word(key, version);
  for (int i = 0; i < 4; ++i) v.bytes[i] = static_cast<std::uint8_t>(key >> (24 - 8 * i));
  for (int i = 0; i < 8; ++i) v.bytes[4 + i] = static_cast<std::uint8_t>(version >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i) v.bytes[12 + i] = static_cast<std::uint8_t>(check >> (24 - 8 * i));
  return v;
}

struct Decoded {
  std::uint32_t key = 0;
  std::uint64_t version = 0;
  bool intact = false;  // the check word matches key and version
};

inline Decoded decode(const Ipv6Value& v) {
  Decoded d;
  std::uint32_t check = 0;
  for (int i = 0; i < 4; ++i) d.key = (d.key << 8) | v.bytes[i];
  for (int i = 0; i < 8; ++i) d.version = (d.version << 8) | v.bytes[4 + i];
  for (int i = 0; i < 4; ++i) check = (check << 8) | v.bytes[12 + i];
  d.intact = check == check_word(d.key, d.version);
  return d;
}

// std::mt19937 yields uint_fast32_t (64 bits here); this yields exactly 32 bits.
class Rng {
 public:
  explicit Rng(unsigned seed) : gen_(seed) {}
  std::uint32_t operator()() { return static_cast<std::uint32_t>(gen_()); }

 private:
  std::mt19937 gen_;
};

inline std::unique_ptr<MappingTable> make_table(const Config& config) {
  auto t = MappingTable::create(config);
  return t ? std::move(*t) : nullptr;
}

}  // namespace dstm::mapping::test

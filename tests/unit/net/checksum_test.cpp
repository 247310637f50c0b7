// Internet checksum: known vectors, pseudo-headers, and RFC 1624 incremental update checked
// against full recomputation.
#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "net/net.h"
#include "test_bytes.h"

using namespace dstm::net;
using dstm::net::test::hex_bytes;

namespace {

// RFC 1141's eqn. 2, HC' = HC + m + ~m' in ones'-complement arithmetic: kept here only to show
// the case it gets wrong.
std::uint16_t rfc1141_update(std::uint16_t hc, std::uint16_t m, std::uint16_t m_new) {
  std::uint32_t sum = std::uint32_t{hc} + m + static_cast<std::uint16_t>(~m_new);
  while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

std::uint16_t ones_add(std::uint16_t a, std::uint16_t b) {
  std::uint32_t sum = std::uint32_t{a} + b;
  return static_cast<std::uint16_t>((sum & 0xFFFF) + (sum >> 16));
}

// The IPv4 header checksum recomputed from scratch (checksum field treated as zero).
std::uint16_t full_header_checksum(std::vector<std::uint8_t> header) {
  header[10] = header[11] = 0;
  return internet_checksum(header);
}

std::vector<std::uint8_t> random_ipv4_header(std::mt19937& rng) {
  std::vector<std::uint8_t> h(Ipv4Header::kSize);
  for (auto& b : h) b = static_cast<std::uint8_t>(rng());
  h[0] = 0x45;  // a real header is never all zero, the one input where eqn. 3 differs
  ipv4_set_header_checksum(Ipv4Header::at(h).value());
  return h;
}

}  // namespace

TEST_CASE("checksum of the RFC 1071 section 3 example", "[net]") {
  const auto bytes = hex_bytes("00 01 f2 03 f4 f5 f6 f7");
  CHECK(checksum_partial(bytes) == 0xDDF2);
  CHECK(internet_checksum(bytes) == 0x220D);
  // Sums may be split at any even offset and chained.
  const std::span<const std::uint8_t> all(bytes);
  CHECK(checksum_partial(all.subspan(4), checksum_partial(all.first(4))) == 0xDDF2);
  CHECK(checksum_partial(all.subspan(2), checksum_partial(all.first(2))) == 0xDDF2);
}

TEST_CASE("checksum pads an odd final byte with zero", "[net]") {
  CHECK(checksum_partial(hex_bytes("01")) == 0x0100);
  CHECK(checksum_partial(hex_bytes("00 01 f2")) == 0xF201);
  CHECK(internet_checksum(hex_bytes("00 01 f2")) == 0x0DFE);
  CHECK(checksum_partial(std::span<const std::uint8_t>()) == 0);
  CHECK(internet_checksum(std::span<const std::uint8_t>()) == 0xFFFF);
}

TEST_CASE("checksum does not overflow on large buffers", "[net]") {
  const std::vector<std::uint8_t> ones(1 << 20, 0xFF);  // 2^19 words of 0xFFFF
  CHECK(checksum_partial(ones) == 0xFFFF);
  CHECK(internet_checksum(ones) == 0);
  const std::vector<std::uint8_t> mixed(1 << 20, 0x80);  // 2^19 words of 0x8080
  // 2^19 * 0x8080 mod 0xFFFF: 2^19 = 8 mod 0xFFFF (2^16 = 1), so 8 * 0x8080 = 0x40400 -> 0x0404.
  CHECK(checksum_partial(mixed) == 0x0404);
  CHECK(checksum_partial(hex_bytes("ffff"), 0xFFFFFFFF) <= 0xFFFF);
}

TEST_CASE("IPv4 header checksum on a real header", "[net]") {
  auto pkt = hex_bytes("4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7");
  auto ip = Ipv4Header::at(pkt).value();
  CHECK(ipv4_header_checksum_valid(ip));
  CHECK(full_header_checksum(pkt) == 0xB861);

  ip.set_checksum(0);
  CHECK_FALSE(ipv4_header_checksum_valid(ip));
  ipv4_set_header_checksum(ip);
  CHECK(ip.checksum() == 0xB861);

  pkt[8] = 63;  // any bit flip invalidates it
  CHECK_FALSE(ipv4_header_checksum_valid(ip));

  // Options are covered: IHL 6 with a 4-byte option.
  auto opt = hex_bytes("4600 0018 0000 0000 4001 0000 c0000201 c0000202 94040000");
  auto with_options = Ipv4Header::at(opt).value();
  ipv4_set_header_checksum(with_options);
  CHECK(internet_checksum(opt) == 0);
  CHECK(ipv4_header_checksum_valid(with_options));
  opt[23] = 1;  // inside the option
  CHECK_FALSE(ipv4_header_checksum_valid(with_options));

  with_options.set_version_ihl(4, 4);  // IHL < 5 never validates
  CHECK_FALSE(ipv4_header_checksum_valid(with_options));
  with_options.set_version_ihl(4, 7);  // header longer than the buffer
  CHECK_FALSE(ipv4_header_checksum_valid(with_options));
}

TEST_CASE("UDP and ICMPv6 checksums with pseudo-headers", "[net]") {
  // Reference values computed independently (Python, RFC 768 / RFC 8200 §8.1 pseudo-headers).
  const auto src = Ipv4Address::parse("192.0.2.1").value();
  const auto dst = Ipv4Address::parse("198.51.100.2").value();
  auto even = hex_bytes("3039 0035 000c 0000 6473746d");
  CHECK(checksum_fold(checksum_partial(even, pseudo_header_sum_v4(src, dst, kProtoUdp, 12))) ==
        0x0A50);
  auto odd = hex_bytes("3039 0035 000d 0000 6473746d21");
  CHECK(checksum_fold(checksum_partial(odd, pseudo_header_sum_v4(src, dst, kProtoUdp, 13))) ==
        0xE94D);
  // A receiver sums the datagram with its checksum in place and gets zero.
  UdpHeader::at(odd)->set_checksum(0xE94D);
  CHECK(checksum_fold(checksum_partial(odd, pseudo_header_sum_v4(src, dst, kProtoUdp, 13))) == 0);

  const auto s6 = Ipv6Address::parse("2001:db8::1").value();
  const auto d6 = Ipv6Address::parse("2001:db8::2").value();
  auto echo = hex_bytes("8000 0000 1234 0001 70696e67");
  const auto sum6 = pseudo_header_sum_v6(s6, d6, kProtoIcmpv6, 12);
  CHECK(checksum_fold(checksum_partial(echo, sum6)) == 0x333E);
}

TEST_CASE("pseudo-header sums equal summing the pseudo-header bytes", "[net]") {
  std::mt19937 rng(31337);
  for (int i = 0; i < 2000; ++i) {
    Ipv6Address::Bytes a{}, b{};
    for (auto& x : a) x = static_cast<std::uint8_t>(rng());
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    const auto len = static_cast<std::uint32_t>(rng());  // jumbograms use all 32 bits
    const auto nh = static_cast<std::uint8_t>(rng());
    std::vector<std::uint8_t> ph(a.begin(), a.end());
    ph.insert(ph.end(), b.begin(), b.end());
    for (int shift = 24; shift >= 0; shift -= 8) {
      ph.push_back(static_cast<std::uint8_t>(len >> shift));
    }
    ph.insert(ph.end(), {0, 0, 0, nh});
    REQUIRE(checksum_fold(pseudo_header_sum_v6(Ipv6Address(a), Ipv6Address(b), nh, len)) ==
            internet_checksum(ph));

    const auto s = Ipv4Address::from_host(static_cast<std::uint32_t>(rng()));
    const auto d = Ipv4Address::from_host(static_cast<std::uint32_t>(rng()));
    const auto len16 = static_cast<std::uint16_t>(len);
    std::vector<std::uint8_t> ph4(12);
    s.to_bytes(&ph4[0]);
    d.to_bytes(&ph4[4]);
    ph4[9] = nh;
    store_be16(&ph4[10], len16);
    REQUIRE(checksum_fold(pseudo_header_sum_v4(s, d, nh, len16)) == internet_checksum(ph4));
  }
}

TEST_CASE("RFC 1624 incremental update: the RFC's example and the 0xFFFF trap", "[net]") {
  // Other header words sum to 0xCD7A; m = 0x5555 gives HC = 0xDD2F. Changing m to 0x3285 makes
  // the sum 0xFFFF, so the correct new checksum is 0x0000.
  CHECK(checksum_update16(0xDD2F, 0x5555, 0x3285) == 0x0000);
  CHECK(rfc1141_update(0xDD2F, 0x5555, 0x3285) == 0xFFFF);  // eqn. 2's wrong answer
  // An unchanged field leaves the checksum alone, including a checksum of 0x0000.
  CHECK(checksum_update16(0x0000, 0x5555, 0x5555) == 0x0000);
  CHECK(checksum_update16(0x1234, 0xABCD, 0xABCD) == 0x1234);
  // 0x0000 and 0xFFFF are both ones'-complement zero: swapping them changes nothing.
  CHECK(checksum_update16(0x1234, 0x0000, 0xFFFF) == 0x1234);
  CHECK(checksum_update16(0x1234, 0xFFFF, 0x0000) == 0x1234);
}

TEST_CASE("RFC 1624 incremental update agrees with full recomputation", "[net]") {
  std::mt19937 rng(0x1624);
  int zero_results = 0, from_zero_field = 0, to_ffff_field = 0;
  for (int round = 0; round < 200; ++round) {
    auto h = random_ipv4_header(rng);
    for (int edit = 0; edit < 100; ++edit) {
      std::size_t word = rng() % 9;  // any 16-bit word but the checksum (word 5)
      if (word >= 5) ++word;
      const std::uint16_t hc = load_be16(&h[10]);
      const std::uint16_t m = load_be16(&h[2 * word]);
      std::uint16_t m_new;
      switch (rng() % 5) {
        case 0:
          m_new = 0x0000;
          break;
        case 1:
          m_new = 0xFFFF;
          break;
        case 2:
          m_new = ones_add(hc, m);
          break;  // makes the data sum 0xFFFF: result 0x0000
        case 3:
          m_new = m;
          break;
        default:
          m_new = static_cast<std::uint16_t>(rng());
          break;
      }
      if (word == 0) m_new = static_cast<std::uint16_t>(0x4500 | (m_new & 0xFF));  // not all 0
      store_be16(&h[2 * word], m_new);
      const std::uint16_t incremental = checksum_update16(hc, m, m_new);
      store_be16(&h[10], incremental);
      INFO("hc " << hc << " m " << m << " m' " << m_new);
      REQUIRE(incremental == full_header_checksum(h));
      REQUIRE(ipv4_header_checksum_valid(Ipv4Header::at(h).value()));
      REQUIRE(incremental != 0xFFFF);  // a full computation never produces it
      zero_results += incremental == 0;
      from_zero_field += m == 0;
      to_ffff_field += m_new == 0xFFFF;
    }
  }
  CHECK(zero_results > 100);  // the edge case was really exercised
  CHECK(from_zero_field > 100);
  CHECK(to_ffff_field > 100);
}

TEST_CASE("RFC 1624 update of a 32-bit field (an address)", "[net]") {
  std::mt19937 rng(0xADD);
  for (int i = 0; i < 5000; ++i) {
    auto h = random_ipv4_header(rng);
    auto ip = Ipv4Header::at(h).value();
    const std::uint32_t old_dst = ip.dst().to_host();
    std::uint32_t new_dst = static_cast<std::uint32_t>(rng());
    if (i % 4 == 0) new_dst = 0;
    if (i % 4 == 1) new_dst = 0xFFFFFFFF;
    ip.set_dst(Ipv4Address::from_host(new_dst));
    ip.set_checksum(checksum_update32(ip.checksum(), old_dst, new_dst));
    REQUIRE(ip.checksum() == full_header_checksum(h));
  }
}

TEST_CASE("ipv4_decrement_ttl keeps the checksum right", "[net]") {
  auto pkt = hex_bytes("4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7");
  auto ip = Ipv4Header::at(pkt).value();
  CHECK(ipv4_decrement_ttl(ip) == 63);
  CHECK(ip.ttl() == 63);
  CHECK(ip.checksum() == 0xB961);  // TTL is the high byte of its word: +0x0100
  CHECK(ipv4_header_checksum_valid(ip));

  std::mt19937 rng(64);
  for (int i = 0; i < 2000; ++i) {
    auto h = random_ipv4_header(rng);
    auto v = Ipv4Header::at(h).value();
    if (v.ttl() == 0) {
      v.set_ttl(1);
      ipv4_set_header_checksum(v);
    }
    const std::uint8_t ttl = v.ttl();
    REQUIRE(ipv4_decrement_ttl(v) == ttl - 1);
    REQUIRE(v.checksum() == full_header_checksum(h));
  }
}

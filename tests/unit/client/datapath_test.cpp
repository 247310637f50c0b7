// The TUN backend's checks on what enters and leaves the tunnel.
#include <catch2/catch.hpp>

#include <vector>

#include "datapath.h"

using namespace dstm;
using namespace dstm::client;

namespace {

const auto kLeased = *net::Ipv4Address::parse("192.0.2.2");
const auto kOther = *net::Ipv4Address::parse("192.0.2.3");
const auto kTep = *net::Ipv6Address::parse("2001:db8:1::a");
const auto kStranger = *net::Ipv6Address::parse("2001:db8:1::66");

std::vector<std::uint8_t> ipv4(net::Ipv4Address src, net::Ipv4Address dst, std::size_t payload = 8) {
  std::vector<std::uint8_t> p(20 + payload, 0);
  p[0] = 0x45;
  p[2] = static_cast<std::uint8_t>(p.size() >> 8);
  p[3] = static_cast<std::uint8_t>(p.size());
  p[8] = 64;
  p[9] = 1;
  src.to_bytes(&p[12]);
  dst.to_bytes(&p[16]);
  return p;
}

}  // namespace

TEST_CASE("outbound: only well-formed IPv4 from the leased address", "[client][datapath]") {
  const auto remote = *net::Ipv4Address::parse("198.51.100.2");
  CHECK(check_outbound(ipv4(kLeased, remote), kLeased) == Verdict::kForward);
  CHECK(check_outbound(ipv4(kOther, remote), kLeased) == Verdict::kDropWrongSource);
  auto p = ipv4(kLeased, remote);
  p[0] = 0x60;  // IPv6 on the TUN (the kernel may route some there)
  CHECK(check_outbound(p, kLeased) == Verdict::kDropMalformed);
  p = ipv4(kLeased, remote);
  p[0] = 0x44;  // IHL 16 bytes
  CHECK(check_outbound(p, kLeased) == Verdict::kDropMalformed);
  p = ipv4(kLeased, remote);
  p[3] = static_cast<std::uint8_t>(p[3] + 1);  // total length past the buffer
  CHECK(check_outbound(p, kLeased) == Verdict::kDropMalformed);
  CHECK(check_outbound(std::vector<std::uint8_t>(19, 0x45), kLeased) == Verdict::kDropMalformed);
  CHECK(check_outbound({}, kLeased) == Verdict::kDropMalformed);
}

TEST_CASE("inbound: outer source must be the TEP, inner destination the lease", "[client][datapath]") {
  const auto remote = *net::Ipv4Address::parse("198.51.100.2");
  CHECK(check_inbound(kTep, ipv4(remote, kLeased), kTep, kLeased) == Verdict::kForward);
  CHECK(check_inbound(kStranger, ipv4(remote, kLeased), kTep, kLeased) == Verdict::kDropNotFromTep);
  CHECK(check_inbound(kTep, ipv4(remote, kOther), kTep, kLeased) == Verdict::kDropWrongDestination);
  CHECK(check_inbound(kTep, std::vector<std::uint8_t>{0x45, 0, 0}, kTep, kLeased) == Verdict::kDropMalformed);
}

TEST_CASE("ipv4_packet_length ignores trailing padding", "[client][datapath]") {
  auto p = ipv4(kLeased, kOther, 8);
  p.resize(p.size() + 10, 0xEE);
  CHECK(ipv4_packet_length(p) == 28);
}

#include <catch2/catch.hpp>

#include "tsp/handshake.h"

using namespace dstm::tsp;
using sasl::Mechanism;

TEST_CASE("CAPABILITY line is built in the observed order and form", "[tsp][handshake]") {
  Capabilities caps{{TunnelType::kV6V4, TunnelType::kV6UdpV4, TunnelType::kV4V6},
                    {Mechanism::kAnonymous, Mechanism::kPlain, Mechanism::kDigestMd5}};
  CHECK(capability_line(caps) ==
        "CAPABILITY TUNNEL=V6V4 TUNNEL=V6UDPV4 TUNNEL=V4V6 AUTH=ANONYMOUS AUTH=PLAIN AUTH=DIGEST-MD5\r\n");
  CHECK(capability_line(Capabilities{{TunnelType::kV4V6}, {Mechanism::kScramSha256}}) ==
        "CAPABILITY TUNNEL=V4V6 AUTH=SCRAM-SHA-256\r\n");
}

TEST_CASE("CAPABILITY lines of real servers parse; unknown tokens are skipped", "[tsp][handshake]") {
  // AARNet (tsp-ruby checks for this exact string) and tsps (tsp-digest.md §2.2).
  auto aarnet = parse_capability_line("CAPABILITY TUNNEL=V6V4 TUNNEL=V6UDPV4 AUTH=DIGEST-MD5");
  REQUIRE(aarnet);
  CHECK(aarnet->tunnel_types == std::vector<TunnelType>{TunnelType::kV6V4, TunnelType::kV6UdpV4});
  CHECK(aarnet->mechanisms == std::vector<Mechanism>{Mechanism::kDigestMd5});
  auto odd = parse_capability_line("CAPABILITY TUNNEL=v4v6 AUTH=passdss-3des-1 AUTH=anonymous FOO BAR=1");
  REQUIRE(odd);
  CHECK(odd->tunnel_types.empty());  // TUNNEL values are case-sensitive, as gogoc compares them
  CHECK(odd->mechanisms == std::vector<Mechanism>{Mechanism::kAnonymous});  // AUTH is not
  CHECK_FALSE(parse_capability_line("CAPABILITIES TUNNEL=V4V6"));
  CHECK_FALSE(parse_capability_line("302 Unsupported client version"));
}

TEST_CASE("VERSION lines and the versions we speak", "[tsp][handshake]") {
  CHECK(parse_version_line("VERSION=2.0.2") == "2.0.2");
  CHECK(parse_version_line(std::string("\0VERSION=2.0.1", 14)) == "2.0.1");
  CHECK_FALSE(parse_version_line("version=2.0.2"));
  CHECK_FALSE(parse_version_line("AUTHENTICATE ANONYMOUS"));
  CHECK(supported_version("2.0.0")->has_accept_step);
  CHECK_FALSE(supported_version("1.0.1")->has_accept_step);
  CHECK_FALSE(supported_version("1.0")->has_accept_step);
  CHECK_FALSE(supported_version("2.0"));
  CHECK_FALSE(supported_version("2.0.3"));
  CHECK(version_line("2.0.2") == "VERSION=2.0.2\r\n");
}

TEST_CASE("status codes are read as clients read them", "[tsp][handshake]") {
  CHECK(parse_status_code("200 Success") == 200);
  CHECK(parse_status_code("1302 Unsupported client version") == 1302);
  CHECK(parse_status_code("530") == 530);
  CHECK_FALSE(parse_status_code("CAPABILITY TUNNEL=V4V6"));
  CHECK_FALSE(parse_status_code(""));
}

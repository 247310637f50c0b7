// dataplane/mappings_file.h: the static "IPV4 IPV6" mappings file.
#include "mappings_file.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace dstm::dp {
namespace {

net::Ipv4Address v4(std::string_view s) {
  return *net::Ipv4Address::parse(s);
}
net::Ipv6Address v6(std::string_view s) {
  return *net::Ipv6Address::parse(s);
}

TEST_CASE("mappings: pairs, comments, blanks and tabs", "[config]") {
  auto m = parse_mappings(
      "# static leases\n"                          // 1
      "\n"                                         // 2
      "192.0.2.10 2001:db8:100::10\n"              // 3
      "   \t\n"                                    // 4
      "\t192.0.2.11\t\t2001:db8:100::11  # lab\n"  // 5
      "10.9.8.7 2001:db8:100::10\r\n"              // 6: CRLF; the same node may hold two
      "  # indented comment\n"                     // 7
      "192.0.2.12 2001:db8:100::12",               // 8: no final newline
      "m.txt");
  INFO((m ? std::string() : m.error()));
  REQUIRE(m);
  REQUIRE(m->size() == 4);
  const std::vector<StaticMapping>& r = *m;
  CHECK(r[0].ipv4 == v4("192.0.2.10"));
  CHECK(r[0].ipv6 == v6("2001:db8:100::10"));
  CHECK(r[0].line == 3);
  CHECK(r[1].ipv4 == v4("192.0.2.11"));
  CHECK(r[1].ipv6 == v6("2001:db8:100::11"));
  CHECK(r[1].line == 5);
  CHECK(r[2].ipv4 == v4("10.9.8.7"));
  CHECK(r[2].ipv6 == v6("2001:db8:100::10"));
  CHECK(r[2].line == 6);
  CHECK(r[3].ipv4 == v4("192.0.2.12"));
  CHECK(r[3].line == 8);
}

TEST_CASE("mappings: an empty or comment-only file is no mappings", "[config]") {
  for (std::string_view text : {"", "\n\n", "# nothing yet\n  # really\n"}) {
    auto m = parse_mappings(text, "m.txt");
    REQUIRE(m);
    CHECK(m->empty());
  }
}

TEST_CASE("mappings: bad lines are refused with FILE:LINE", "[config]") {
  struct Bad {
    std::string_view text;
    std::string_view message;  // the whole message
  };
  const Bad kCases[] = {
      {"192.0.2.10\n", "m.txt:1: expected 'IPV4 IPV6', got only '192.0.2.10'"},
      {"# ok\n192.0.2.10 2001:db8::10 extra\n",
       "m.txt:2: extra field 'extra' after 'IPV4 IPV6' (comments start with #)"},
      {"\n\n192.0.2.300 2001:db8::10\n", "m.txt:3: '192.0.2.300' is not an IPv4 address"},
      {"2001:db8::10 192.0.2.10\n", "m.txt:1: '2001:db8::10' is not an IPv4 address"},
      {"127.0.0.1 2001:db8::10\n", "m.txt:1: '127.0.0.1' is not a unicast address"},
      {"224.0.0.5 2001:db8::10\n", "m.txt:1: '224.0.0.5' is not a unicast address"},
      {"192.0.2.10 2001:db8::zz\n", "m.txt:1: '2001:db8::zz' is not an IPv6 address"},
      {"192.0.2.10 fe80::1\n", "m.txt:1: 'fe80::1' is not a global unicast address"},
      {"192.0.2.10 ff02::1\n", "m.txt:1: 'ff02::1' is not a global unicast address"},
      {"192.0.2.10 ::ffff:192.0.2.10\n",
       "m.txt:1: '::ffff:192.0.2.10' is not a global unicast address"},
      {"192.0.2.10 ::\n", "m.txt:1: '::' is not a global unicast address"},
      {"192.0.2.10 2001:db8::10\n# x\n192.0.2.10 2001:db8::11\n",
       "m.txt:3: '192.0.2.10' is already mapped on line 1"},
      {"192.0.2.10 2001:db8::10\r\n192.0.2.11\t2001:db8::11 x\r\n",
       "m.txt:2: extra field 'x' after 'IPV4 IPV6' (comments start with #)"},
  };
  for (const auto& c : kCases) {
    INFO("file:\n" << c.text);
    auto m = parse_mappings(c.text, "m.txt");
    CHECK_FALSE(m);
    if (m) continue;  // report every case, not only the first that fails
    CHECK(m.error() == c.message);
  }
}

TEST_CASE("mappings: load_mappings names the file it cannot read", "[config]") {
  auto m = load_mappings("/nonexistent/mappings.txt");
  REQUIRE_FALSE(m);
  CHECK(m.error().rfind("/nonexistent/mappings.txt: cannot read: ", 0) == 0);
}

}  // namespace
}  // namespace dstm::dp

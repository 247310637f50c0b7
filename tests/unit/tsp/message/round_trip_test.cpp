// Property: parse(serialize(m, style)) == m for messages drawn over the whole model, with a
// fixed seed so a failure reproduces. Covers every optional, empty lists, escaping and UTF-8.
#include <array>
#include <catch2/catch.hpp>
#include <random>

#include "tsp/message/tunnel_xml.h"

namespace dstm::tsp {
namespace {

class MessageGenerator {
 public:
  explicit MessageGenerator(std::uint32_t seed) : rng_(seed) {}

  TunnelMessage message() {
    TunnelMessage m;
    m.action = pick(std::array{TunnelAction::kCreate, TunnelAction::kInfo, TunnelAction::kAccept,
                               TunnelAction::kDelete, TunnelAction::kReject});
    if (coin())
      m.type = pick(std::array{TunnelType::kV6V4, TunnelType::kV6UdpV4, TunnelType::kV6AnyV4,
                               TunnelType::kV4V6});
    if (coin()) m.lifetime = number(kUint32Max);
    if (coin()) m.proxy = coin();
    if (coin()) m.mtu = number(kUint32Max);
    if (coin()) m.server = endpoint();
    if (coin()) m.client = endpoint();
    if (coin()) m.brokers = addresses(1);
    return m;
  }

 private:
  static constexpr std::uint32_t kUint32Max = 0xffffffffu;

  bool coin() { return below(2) == 0; }
  std::size_t below(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }
  template <class T, std::size_t N>
  T pick(const std::array<T, N>& choices) {
    return choices[below(N)];
  }

  // Edge values often, any value otherwise.
  std::uint32_t number(std::uint32_t max) {
    if (coin()) return pick(std::array<std::uint32_t, 3>{0, 30, max});
    return std::uniform_int_distribution<std::uint32_t>(0, max)(rng_);
  }

  // Values as a profile might see them: address characters, XML specials, multi-byte UTF-8.
  // No surrounding whitespace and no control characters: the parser trims and refuses those.
  std::string text() {
    static constexpr std::array<std::string_view, 18> kPieces{
        "a", "Z", "0", "9",  ":", ".", "-",        "_",   "/",
        "&", "<", ">", "\"", "'", " ", "\xc3\xa9", "]]>", "&amp;"};
    std::string out;
    for (std::size_t n = below(12); n > 0; --n) out += kPieces[below(kPieces.size())];
    while (!out.empty() && out.front() == ' ') out.erase(0, 1);
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
  }

  Address address() {
    return {pick(std::array{AddressType::kIpv4, AddressType::kIpv6, AddressType::kDn}), text()};
  }
  std::vector<Address> addresses(std::size_t min) {
    std::vector<Address> out(min + below(4));
    for (Address& a : out) a = address();
    return out;
  }

  Endpoint endpoint() {
    Endpoint e;
    if (coin()) e.addresses = addresses(0);
    if (coin()) e.dns_servers = addresses(0);
    if (coin()) e.router = router();
    if (coin()) e.keepalive = Keepalive{number(kUint32Max), coin() ? address() : Address{}};
    if (e.keepalive && coin()) e.keepalive->address.reset();
    return e;
  }

  Router router() {
    Router r;
    if (coin()) r.protocol = text();
    if (coin()) r.prefix = Prefix{number(128) % 129, coin() ? text() : std::string()};
    if (coin()) r.dns_servers = addresses(0);
    if (coin()) r.as = As{coin() ? std::optional<std::string>(text()) : std::nullopt, text()};
    return r;
  }

  std::mt19937 rng_;
};

TEST_CASE("parse(serialize(m)) == m for generated messages in both styles", "[xml]") {
  MessageGenerator generator(20240611);
  for (int i = 0; i < 2000; ++i) {
    const TunnelMessage m = generator.message();
    for (XmlStyle style : {XmlStyle::kClientRequest, XmlStyle::kServerReply}) {
      const std::string xml = serialize_tunnel(m, style);
      INFO("message " << i << ": " << describe(m) << "\n" << xml);
      const auto parsed = parse_tunnel(xml);
      REQUIRE(parsed);
      REQUIRE(*parsed == m);
    }
  }
}

TEST_CASE("a message drawn with every part present survives both styles", "[xml]") {
  // Guards the property above against a generator that stops reaching some field.
  TunnelMessage m;
  m.action = TunnelAction::kReject;
  m.type = TunnelType::kV6AnyV4;
  m.lifetime = 1;
  m.proxy = true;
  m.mtu = 1280;
  const Router router{"rip",
                      Prefix{48, "2001:0db8:0001:0000:0000:0000:0000:0000"},
                      {{AddressType::kDn, "ns.example"}},
                      As{"65000", "x&y"}};
  const Endpoint endpoint{{{AddressType::kIpv4, "192.0.2.1"}, {AddressType::kIpv6, "::1"}},
                          {{AddressType::kIpv6, "2001:db8::53"}},
                          router,
                          Keepalive{5, Address{AddressType::kIpv4, "192.0.2.1"}}};
  m.server = endpoint;
  m.client = endpoint;
  m.brokers = {{AddressType::kDn, "b.example"}};
  for (XmlStyle style : {XmlStyle::kClientRequest, XmlStyle::kServerReply}) {
    const auto parsed = parse_tunnel(serialize_tunnel(m, style));
    REQUIRE(parsed);
    CHECK(*parsed == m);
  }
}

}  // namespace
}  // namespace dstm::tsp

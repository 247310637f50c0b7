// Property test: thousands of random allocate/renew/release/expire steps against a reference
// model written the obvious way (maps and linear scans). After every step no IPv4 is held by
// two leases and the allocator's active set equals the model's.
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "lease/lease.h"
#include "lease_test_util.h"

using namespace dstm::lease;
using namespace dstm::lease::test;
using dstm::net::Ipv4Address;
using dstm::net::Ipv6Address;
using dstm::tsp::Status;

namespace {

using HolderKey = std::pair<bool, std::string>;  // (anonymous, identity or IPv6 text)

HolderKey key_of(bool anonymous, const std::string& identity, const Ipv6Address& node) {
  return {anonymous, anonymous ? node.to_string() : identity};
}

struct Model {
  PoolConfig config;
  std::set<std::uint32_t> allocatable;
  std::map<std::uint32_t, Lease> leases;
  std::map<std::uint32_t, HolderKey> last_holder;
  std::map<HolderKey, std::uint32_t> last_address;

  explicit Model(PoolConfig c) : config(std::move(c)) {
    for (const auto& p : config.prefixes) {
      for (std::uint32_t i = 1; i + 1 < p.size(); ++i) allocatable.insert(p.at(i).to_host());
    }
    for (const auto& e : config.excluded) allocatable.erase(e.to_host());
  }
  std::uint64_t lifetime(std::uint32_t l) const {
    return l == 0 ? config.default_lifetime_s : std::min(l, config.max_lifetime_s);
  }
  const Lease* holder_lease(const HolderKey& k) const {
    for (const auto& [a, l] : leases) {
      if (key_of(l.anonymous, l.identity, l.ipv6) == k) return &l;
    }
    return nullptr;
  }
  std::size_t anonymous_in_64(const Ipv6Address& n) const {
    std::size_t count = 0;
    for (const auto& [a, l] : leases) {
      if (l.anonymous && std::equal(n.bytes().begin(), n.bytes().begin() + 8, l.ipv6.bytes().begin())) ++count;
    }
    return count;
  }
  std::size_t anonymous_total() const {
    std::size_t count = 0;
    for (const auto& [a, l] : leases) count += l.anonymous ? 1 : 0;
    return count;
  }

  // The expected outcome: a status, or success with (when determined) the address.
  struct Outcome {
    std::optional<Status> error;
    std::optional<std::uint32_t> address;
  };
  Outcome predict(const std::string& identity, bool anonymous, const Ipv6Address& n,
                  std::optional<Ipv4Address> requested) const {
    if (!n.is_global_unicast()) return {Status::kInvalidIpv6, {}};
    const auto k = key_of(anonymous, identity, n);
    if (const Lease* l = holder_lease(k)) return {{}, l->ipv4.to_host()};
    if (requested) {
      if (allocatable.count(requested->to_host()) == 0) return {Status::kInvalidIpv4, {}};
      if (leases.count(requested->to_host()) != 0) return {Status::kAddressUnavailable, {}};
    }
    if (anonymous) {
      const auto limit = static_cast<std::size_t>(
          std::floor(config.anonymous_share * static_cast<double>(allocatable.size())));
      if (anonymous_in_64(n) >= config.anonymous_per_64 || anonymous_total() + 1 > limit) {
        return {Status::kPoolExhausted, {}};
      }
    }
    if (requested) return {{}, requested->to_host()};
    if (auto it = last_address.find(k); it != last_address.end() && leases.count(it->second) == 0) {
      return {{}, it->second};
    }
    if (leases.size() == allocatable.size()) return {Status::kPoolExhausted, {}};
    return {};  // any free address
  }

  void add(const Lease& l) {
    const auto a = l.ipv4.to_host();
    const auto k = key_of(l.anonymous, l.identity, l.ipv6);
    if (auto old = last_holder.find(a); old != last_holder.end()) {
      if (auto back = last_address.find(old->second); back != last_address.end() && back->second == a) {
        last_address.erase(back);
      }
    }
    last_holder[a] = k;
    last_address[k] = a;
    leases[a] = l;
  }
};

}  // namespace

TEST_CASE("random steps: allocator agrees with a reference model", "[lease]") {
  PoolConfig c;
  c.prefixes = {p4("10.0.0.0/28"), p4("10.0.1.0/30")};
  c.excluded = {v4("10.0.0.7")};
  c.default_lifetime_s = 50;
  c.max_lifetime_s = 120;
  c.anonymous_per_64 = 2;
  c.anonymous_share = 0.5;
  auto a = make_allocator(c);
  Model m(c);
  REQUIRE(a.allocatable_count() == m.allocatable.size());

  std::mt19937 rng(20240611);
  auto pick = [&](std::uint32_t n) { return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(rng); };
  auto random_v4 = [&]() {
    // Mostly pool addresses (including reserved ones), sometimes outside.
    const std::uint32_t r = pick(24);
    return r < 16 ? Ipv4Address::from_host(0x0A000000 + r)
                  : r < 20 ? Ipv4Address::from_host(0x0A000100 + r - 16)
                           : Ipv4Address::from_host(0x0A000200 + r);
  };
  std::uint64_t now = 0;
  std::size_t successes = 0;
  for (int step = 0; step < 20000; ++step) {
    INFO("step " << step);
    now += pick(4);
    const std::uint32_t op = pick(10);
    if (op < 5) {
      const bool anonymous = pick(2) == 0;
      const std::string identity = anonymous ? "" : "user" + std::to_string(pick(12));
      // Draws in sequence: argument evaluation order differs between g++ and clang.
      const auto net = static_cast<std::uint16_t>(pick(3));
      const auto host = static_cast<std::uint16_t>(1 + pick(4));
      const Ipv6Address n = pick(30) == 0 ? v6("fe80::1") : node(net, host);
      std::optional<Ipv4Address> requested;
      if (pick(4) == 0) requested = random_v4();
      const std::uint32_t lifetime = pick(200);
      const auto want = m.predict(identity, anonymous, n, requested);
      auto got = a.allocate(identity, anonymous, n, requested, lifetime, now);
      if (want.error) {
        REQUIRE_FALSE(got);
        REQUIRE(got.error() == *want.error);
        continue;
      }
      REQUIRE(got);
      ++successes;
      if (want.address) REQUIRE(got->ipv4.to_host() == *want.address);
      REQUIRE(m.allocatable.count(got->ipv4.to_host()) == 1);
      REQUIRE(got->expires_at == now + m.lifetime(lifetime));
      if (m.leases.count(got->ipv4.to_host()) != 0) {
        m.leases[got->ipv4.to_host()].expires_at = got->expires_at;  // same holder, renewed
      } else {
        REQUIRE(m.holder_lease(key_of(anonymous, identity, n)) == nullptr);
        m.add(*got);
      }
    } else if (op < 7) {
      Ipv4Address target = random_v4();
      std::string identity = "user" + std::to_string(pick(12));
      if (!m.leases.empty() && pick(2) == 0) {
        auto it = std::next(m.leases.begin(), static_cast<long>(pick(static_cast<std::uint32_t>(m.leases.size()))));
        target = it->second.ipv4;
        if (pick(3) != 0) identity = it->second.identity;
      }
      const std::uint32_t lifetime = pick(200);
      auto got = a.renew(target, identity, now, lifetime);
      auto it = m.leases.find(target.to_host());
      if (it == m.leases.end() || it->second.identity != identity) {
        REQUIRE_FALSE(got);
        REQUIRE(got.error() == Status::kAddressUnavailable);
      } else {
        REQUIRE(got);
        it->second.expires_at = now + m.lifetime(lifetime);
        REQUIRE(*got == it->second);
      }
    } else if (op < 8) {
      const Ipv4Address target = random_v4();
      auto got = a.release(target);
      auto it = m.leases.find(target.to_host());
      REQUIRE(got.has_value() == (it != m.leases.end()));
      if (got) {
        REQUIRE(*got == it->second);
        m.leases.erase(it);
      }
    } else {
      auto got = a.expire(now);
      std::set<std::uint32_t> expected;
      for (auto it = m.leases.begin(); it != m.leases.end();) {
        if (it->second.expires_at <= now) {
          expected.insert(it->first);
          it = m.leases.erase(it);
        } else {
          ++it;
        }
      }
      std::set<std::uint32_t> actual;
      for (const auto& l : got) actual.insert(l.ipv4.to_host());
      REQUIRE(actual == expected);
      REQUIRE(actual.size() == got.size());
    }
    // The invariants, after every step.
    const auto active = a.active();
    std::set<std::uint32_t> addresses;
    for (const auto& l : active) addresses.insert(l.ipv4.to_host());
    REQUIRE(addresses.size() == active.size());  // no IPv4 held twice
    REQUIRE(active.size() == m.leases.size());
    std::size_t i = 0;
    for (const auto& [addr, l] : m.leases) REQUIRE(active[i++] == l);
  }
  CHECK(successes > 1000);  // the walk really allocates, not only fails
}

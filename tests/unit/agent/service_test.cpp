#include <catch2/catch.hpp>

#include "fixture.h"

namespace dstm::agent::test {
namespace {

using tsp::Status;

const tsp::Address* addr(const std::optional<tsp::Endpoint>& e, tsp::AddressType t) {
  return e ? e->find(t) : nullptr;
}

TEST_CASE("create: persisted, pushed, answered with Tunnel Info once the dataplane applied it", "[agent]") {
  Fixture f;
  f.start();
  FakeDataplane dp(f.config.shm_name);
  auto a = f.request(create("10.64.0.5", {"fe80::5", "2001:db8:5::5"}), &dp);
  REQUIRE(a);
  CHECK(a->status == Status::kSuccess);
  REQUIRE(a->message);
  CHECK(a->message->action == tsp::TunnelAction::kInfo);
  CHECK(addr(a->message->server, tsp::AddressType::kIpv4)->value == "192.0.2.1");
  CHECK(addr(a->message->server, tsp::AddressType::kIpv6)->value == "2001:db8:1::1");
  CHECK(addr(a->message->client, tsp::AddressType::kIpv4)->value == "10.64.0.5");
  // The link-local address of a two-address request is not the tunnel source.
  CHECK(addr(a->message->client, tsp::AddressType::kIpv6)->value == "2001:db8:5::5");
  CHECK(dp.table.at(host("10.64.0.5")) == *net::Ipv6Address::parse("2001:db8:5::5"));
  CHECK(f.service->feed().is_applied(a->applied_sequence));
  // Durable: a new service on the same store has it.
  auto rows = MappingStore::open(f.config.store_path)->load_all();
  REQUIRE(rows->size() == 1);
  CHECK((*rows)[0].owner == "server1");
}

TEST_CASE("create without a dataplane: 307 after the timeout and no trace left", "[agent]") {
  Fixture f;
  f.start();
  auto a = f.request(create("10.64.0.6", {"2001:db8:6::6"}), nullptr);
  REQUIRE(a);
  CHECK(a->status == Status::kTepConfigError);
  CHECK(f.service->mappings().size() == 0);
  CHECK(MappingStore::open(f.config.store_path)->load_all()->empty());
  CHECK(f.service->counters().apply_timeouts == 1);
  // When a dataplane comes later, it must not see the undone mapping.
  FakeDataplane dp(f.config.shm_name);
  for (int i = 0; i < 10; ++i) f.step(&dp);
  CHECK(dp.table.count(host("10.64.0.6")) == 0);
}

TEST_CASE("a timed-out replace restores the previous mapping", "[agent]") {
  Fixture f;
  f.start();
  {
    FakeDataplane dp(f.config.shm_name);
    REQUIRE(f.request(create("10.64.0.7", {"2001:db8:7::1"}), &dp)->status == Status::kSuccess);
  }
  auto a = f.request(create("10.64.0.7", {"2001:db8:7::2"}, /*replace=*/true), nullptr);
  CHECK(a->status == Status::kTepConfigError);
  REQUIRE(f.service->mappings().find(*net::Ipv4Address::parse("10.64.0.7")));
  CHECK(f.service->mappings().find(*net::Ipv4Address::parse("10.64.0.7"))->ipv6 ==
        *net::Ipv6Address::parse("2001:db8:7::1"));
  auto rows = MappingStore::open(f.config.store_path)->load_all();
  REQUIRE(rows->size() == 1);
  CHECK((*rows)[0].ipv6 == *net::Ipv6Address::parse("2001:db8:7::1"));
}

TEST_CASE("create is idempotent; a different IPv6 needs replace=yes, else 308", "[agent]") {
  Fixture f;
  f.start();
  FakeDataplane dp(f.config.shm_name);
  REQUIRE(f.request(create("10.64.0.8", {"2001:db8:8::1"}), &dp)->status == Status::kSuccess);
  auto again = f.request(create("10.64.0.8", {"2001:db8:8::1"}), &dp);
  CHECK(again->status == Status::kSuccess);
  CHECK(f.service->counters().create_idempotent == 1);
  auto other = f.request(create("10.64.0.8", {"2001:db8:8::2"}), &dp);
  CHECK(other->status == Status::kAddressUnavailable);
  CHECK(dp.table.at(host("10.64.0.8")) == *net::Ipv6Address::parse("2001:db8:8::1"));
  auto replaced = f.request(create("10.64.0.8", {"2001:db8:8::2"}, true), &dp);
  CHECK(replaced->status == Status::kSuccess);
  CHECK(dp.table.at(host("10.64.0.8")) == *net::Ipv6Address::parse("2001:db8:8::2"));
  CHECK(f.service->mappings().find_ipv6(*net::Ipv6Address::parse("2001:db8:8::1")).empty());
}

TEST_CASE("invalid requests get their TSP codes and change nothing", "[agent]") {
  Fixture f;
  f.start();
  FakeDataplane dp(f.config.shm_name);
  CHECK(f.request(create("10.65.0.1", {"2001:db8::1"}), &dp)->status == Status::kInvalidIpv4);
  CHECK(f.request(create("10.64.0.300", {"2001:db8::1"}), &dp)->status == Status::kInvalidIpv4);
  CHECK(f.request(create("", {"2001:db8::1"}), &dp)->status == Status::kInvalidIpv4);
  CHECK(f.request(create("10.64.0.1", {"fe80::1"}), &dp)->status == Status::kInvalidIpv6);
  CHECK(f.request(create("10.64.0.1", {"ff02::1"}), &dp)->status == Status::kInvalidIpv6);
  CHECK(f.request(create("10.64.0.1", {"::ffff:10.0.0.1"}), &dp)->status == Status::kInvalidIpv6);
  CHECK(f.request(create("10.64.0.1", {"2001:db8::zz"}), &dp)->status == Status::kInvalidIpv6);
  auto v6v4 = create("10.64.0.1", {"2001:db8::1"});
  v6v4.type = tsp::TunnelType::kV6V4;
  CHECK(f.request(v6v4, &dp)->status == Status::kUnsupportedTunnelType);
  tsp::TunnelMessage no_client;
  no_client.action = tsp::TunnelAction::kCreate;
  CHECK(f.request(no_client, &dp)->status == Status::kInvalidRequest);
  CHECK(f.service->mappings().size() == 0);
  CHECK(dp.table.empty());
  CHECK(f.service->counters().rejected == 9);
}

TEST_CASE("delete removes the mapping; a stale delete for another IPv6 is refused", "[agent]") {
  Fixture f;
  f.start();
  FakeDataplane dp(f.config.shm_name);
  REQUIRE(f.request(create("10.64.0.9", {"2001:db8:9::1"}), &dp)->status == Status::kSuccess);
  CHECK(f.request(del("10.64.0.9", "2001:db8:9::2"), &dp)->status == Status::kAddressUnavailable);
  CHECK(dp.table.count(host("10.64.0.9")) == 1);
  auto d = f.request(del("10.64.0.9", "2001:db8:9::1"), &dp);
  CHECK(d->status == Status::kSuccess);
  CHECK(dp.table.count(host("10.64.0.9")) == 0);
  CHECK(MappingStore::open(f.config.store_path)->load_all()->empty());
  // Repeated: the state the server wants already holds.
  CHECK(f.request(del("10.64.0.9"), &dp)->status == Status::kSuccess);
}

TEST_CASE("a restarted dataplane gets the whole set replayed as a snapshot", "[agent][restart]") {
  Fixture f;
  f.start();
  auto dp = std::make_unique<FakeDataplane>(f.config.shm_name);
  for (int i = 1; i <= 40; ++i) {  // more than the 64-slot ring holds with a snapshot around it
    const std::string v4 = "10.64.0." + std::to_string(i);
    REQUIRE(f.request(create(v4, {"2001:db8:a::" + std::to_string(i)}), dp.get())->status == Status::kSuccess);
  }
  const auto resyncs = f.service->counters().resyncs;  // 1: this dataplane attached after the agent
  dp.reset();  // killed
  FakeDataplane fresh(f.config.shm_name);  // a new generation, empty table
  for (int i = 0; i < 100; ++i) f.step(&fresh);
  CHECK(f.service->counters().resyncs == resyncs + 1);
  REQUIRE(fresh.table.size() == 40);
  CHECK(fresh.table.at(host("10.64.0.40")) == *net::Ipv6Address::parse("2001:db8:a::40"));
}

TEST_CASE("a restarted agent reloads its store and reconciles the dataplane by snapshot", "[agent][restart]") {
  Fixture f;
  f.start();
  FakeDataplane dp(f.config.shm_name);
  REQUIRE(f.request(create("10.64.0.11", {"2001:db8:b::11"}), &dp)->status == Status::kSuccess);
  REQUIRE(f.request(create("10.64.0.12", {"2001:db8:b::12"}), &dp)->status == Status::kSuccess);
  // The dataplane holds an entry the agent never persisted (e.g. its store was restored from
  // an older copy): the snapshot removes it.
  dp.table[host("10.64.0.99")] = *net::Ipv6Address::parse("2001:db8:b::99");
  f.start();  // the agent restarts (same store, same segment)
  CHECK(f.service->mappings().size() == 2);
  for (int i = 0; i < 10; ++i) f.step(&dp);
  CHECK(dp.table.size() == 2);
  CHECK(dp.table.count(host("10.64.0.99")) == 0);
  CHECK(f.service->feed().agent_generation() == 2);
}

TEST_CASE("a full ring never loses an update: records wait in the agent's queue", "[agent]") {
  Fixture f;
  f.config.apply_timeout_ms = 100000;
  f.start();
  FakeDataplane dp(f.config.shm_name);
  dp.drain();
  std::vector<std::optional<Answer>> answers(200);
  for (int i = 0; i < 200; ++i) {
    const auto v4 = net::Ipv4Address::from_host(host("10.64.0.0") + static_cast<std::uint32_t>(i + 1));
    f.service->add(v4, *net::Ipv6Address::parse("2001:db8:c::" + std::to_string(i + 1)), Origin::kStatic,
                   "dstmctl", true, f.now, [&answers, i](Answer a) { answers[static_cast<std::size_t>(i)] = a; });
  }
  f.io.restart();
  f.io.poll();  // one group commit for all 200
  CHECK(f.service->feed().pending() > 0);  // 200 records, 64 slots
  for (int i = 0; i < 50; ++i) f.step(&dp);
  CHECK(f.service->feed().pending() == 0);
  CHECK(dp.table.size() == 200);
  for (const auto& a : answers) {
    REQUIRE(a);
    CHECK(a->status == Status::kSuccess);
  }
}

}  // namespace
}  // namespace dstm::agent::test

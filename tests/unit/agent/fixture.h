// A dstm-agent TepService on a private segment and store, with an in-process stand-in for
// the dataplane: a shmring::Consumer applying records to a std::map the way MappingFeed does.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config.h"
#include "tep_service.h"

namespace dstm::agent::test {

inline std::string unique_name(const char* what) {
  static int n = 0;
  return std::string("dstm-agent-test-") + what + "-" + std::to_string(::getpid()) + "-" + std::to_string(++n);
}

struct FakeDataplane {
  explicit FakeDataplane(const std::string& shm) : segment(*shmring::Segment::attach(shm)), consumer(segment) {}
  // Applies everything queued; snapshot records go to a shadow map swapped in at the end.
  void drain() {
    consumer.drain(1u << 20, [&](const shmring::Record& r) {
      auto& target = in_snapshot ? shadow : table;
      switch (r.kind) {
        case shmring::Kind::kUpsert: target[r.ipv4] = net::Ipv6Address::from_bytes(r.ipv6.data()); break;
        case shmring::Kind::kErase: target.erase(r.ipv4); break;
        case shmring::Kind::kSnapshotBegin: in_snapshot = true; shadow.clear(); break;
        case shmring::Kind::kSnapshotEnd: in_snapshot = false; table.swap(shadow); shadow.clear(); break;
      }
    });
    consumer.heartbeat();
  }
  shmring::Segment segment;
  shmring::Consumer consumer;
  std::map<std::uint32_t, net::Ipv6Address> table, shadow;
  bool in_snapshot = false;
};

struct Fixture {
  Fixture() {
    dir = std::filesystem::temp_directory_path() / unique_name("dir");
    std::filesystem::create_directories(dir);
    config.tep_ipv4 = *net::Ipv4Address::parse("192.0.2.1");
    config.tep_ipv6 = *net::Ipv6Address::parse("2001:db8:1::1");
    config.pools = {*net::Ipv4Prefix::parse("10.64.0.0/24")};
    config.store_path = (dir / "agent.db").string();
    config.shm_name = unique_name("shm");
    config.ring_capacity = 64;
    config.apply_timeout_ms = 100;
  }
  ~Fixture() {
    service.reset();
    shmring::Segment::unlink(config.shm_name);
    std::filesystem::remove_all(dir);
  }
  TepService& start() {
    service.reset();
    auto s = TepService::start(io, config, now);
    if (!s) throw std::runtime_error(s.error());
    service = std::move(*s);
    return *service;
  }
  // Sends a request and returns the answer once given (ticking `now` and draining the fake
  // dataplane when `dp` is set); nullopt if no answer came within the apply timeout + 1 s.
  std::optional<Answer> request(const tsp::TunnelMessage& m, FakeDataplane* dp) {
    std::optional<Answer> got;
    service->tunnel_request(m, "server1", now, [&](Answer a) { got = std::move(a); });
    for (int i = 0; i < 2000 && !got; ++i) {
      step(dp);
    }
    return got;
  }
  // One turn of the daemon: the event loop (group commits), the dataplane, a tick.
  void step(FakeDataplane* dp) {
    io.restart();
    io.poll();
    if (dp) dp->drain();
    now += 1;
    service->tick(now);
  }
  asio::io_context io;
  std::filesystem::path dir;
  AgentConfig config;
  std::unique_ptr<TepService> service;
  std::uint64_t now = 1000;
};

inline tsp::TunnelMessage create(const std::string& v4, const std::vector<std::string>& v6s,
                                 bool replace = false) {
  tsp::TunnelMessage m;
  m.action = tsp::TunnelAction::kCreate;
  m.type = tsp::TunnelType::kV4V6;
  if (replace) m.replace = true;
  tsp::Endpoint e;
  if (!v4.empty()) e.addresses.push_back({tsp::AddressType::kIpv4, v4});
  for (const auto& v6 : v6s) e.addresses.push_back({tsp::AddressType::kIpv6, v6});
  m.client = e;
  return m;
}

inline tsp::TunnelMessage del(const std::string& v4, const std::string& v6 = "") {
  auto m = create(v4, v6.empty() ? std::vector<std::string>{} : std::vector<std::string>{v6});
  m.action = tsp::TunnelAction::kDelete;
  return m;
}

inline std::uint32_t host(const char* v4) { return net::Ipv4Address::parse(v4)->to_host(); }

}  // namespace dstm::agent::test

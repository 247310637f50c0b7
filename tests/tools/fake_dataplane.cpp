// fake_dataplane: the consumer side of the agent's ring without DPDK's EAL, for control-plane
// tests that need a dataplane to apply mappings but no packets (the real dstm-dataplane is
// used where packets matter). Applies records like MappingFeed (snapshot shadow set swapped at
// the end) and, with --dump FILE, rewrites FILE ("IPV4 IPV6" lines, sorted) after each change.
//   fake_dataplane NAME [--dump FILE] [--delay-ms N]   (SIGTERM/SIGINT: exit 0)
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "net/net.h"
#include "shmring/shmring.h"

namespace {
volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: fake_dataplane NAME [--dump FILE] [--delay-ms N]\n");
    return 2;
  }
  std::string name = argv[1], dump;
  int delay_ms = 0;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--dump") == 0) dump = argv[i + 1];
    if (std::strcmp(argv[i], "--delay-ms") == 0) delay_ms = std::atoi(argv[i + 1]);
  }
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  std::optional<dstm::shmring::Segment> segment;
  while (!g_stop) {
    auto s = dstm::shmring::Segment::attach(name);
    if (s) {
      segment.emplace(std::move(*s));
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!segment) return 0;
  dstm::shmring::Consumer consumer(*segment);
  std::map<std::uint32_t, dstm::net::Ipv6Address> table, shadow;
  bool in_snapshot = false;
  auto write_dump = [&] {
    if (dump.empty()) return;
    const std::string tmp = dump + ".tmp";
    {
      std::ofstream out(tmp);
      for (const auto& [v4, v6] : table) {
        out << dstm::net::Ipv4Address::from_host(v4).to_string() << ' ' << v6.to_string() << '\n';
      }
    }
    std::rename(tmp.c_str(), dump.c_str());  // readers never see half a file
  };
  write_dump();
  while (!g_stop) {
    if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    bool changed = false;
    consumer.drain(4096, [&](const dstm::shmring::Record& r) {
      auto& target = in_snapshot ? shadow : table;
      switch (r.kind) {
        case dstm::shmring::Kind::kUpsert: target[r.ipv4] = dstm::net::Ipv6Address::from_bytes(r.ipv6.data()); break;
        case dstm::shmring::Kind::kErase: target.erase(r.ipv4); break;
        case dstm::shmring::Kind::kSnapshotBegin: in_snapshot = true; shadow.clear(); break;
        case dstm::shmring::Kind::kSnapshotEnd: in_snapshot = false; table.swap(shadow); shadow.clear(); break;
      }
      changed = changed || !in_snapshot;
    });
    consumer.heartbeat();
    if (changed) write_dump();
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  return 0;
}

// shm_tool: drives lib/shmring from the command line for integration tests and benchmarks,
// standing in for dstm-agent (the producer) and dstmctl (a stats reader). Built only with tests.
//
//   shm_tool create NAME CAP        create the agent's segment (an existing one is replaced)
//   shm_tool push NAME FILE         one record per line: "IPV4 IPV6" (upsert) or "del IPV4";
//                                   prints the last sequence pushed
//   shm_tool snapshot NAME FILE     the same "IPV4 IPV6" lines as one snapshot (the whole set)
//   shm_tool wait NAME [MS]         wait until the last sequence pushed is applied (default
//                                   10000 ms); exit 1 on timeout
//   shm_tool status NAME            the segment header as JSON
//   shm_tool stats NAME             the dataplane's stats segment (e.g. /dstm-tep-stats) as JSON
//   shm_tool install NAME COUNT BASE_IPV4 [WINDOW]
//                                   benchmark: COUNT upserts of consecutive addresses from
//                                   BASE_IPV4, keeping at most WINDOW records in flight; prints
//                                   installs per second and the enqueue -> applied latency
//                                   percentiles as JSON
//   shm_tool resync NAME COUNT BASE_IPV4
//                                   benchmark: wait for a (re)started dataplane's new generation,
//                                   send a COUNT-mapping snapshot, print the time until applied
// A push to a full ring waits for room (up to 10 s per record). Exit status 2: usage or input.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "net/net.h"
#include "shmring/shmring.h"
#include "shmring/stats.h"

namespace {

using namespace dstm;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

int usage() {
  std::fputs(
      "usage: shm_tool create NAME CAP | push NAME FILE | snapshot NAME FILE | wait NAME [MS] |\n"
      "                status NAME | stats NAME | install NAME COUNT BASE_IPV4 [WINDOW] |\n"
      "                resync NAME COUNT BASE_IPV4\n",
      stderr);
  return 2;
}

int fail(const std::string& what) {
  std::fprintf(stderr, "shm_tool: %s\n", what.c_str());
  return 1;
}

std::optional<std::uint64_t> number(const std::string& s) {
  try {
    std::size_t used = 0;
    const unsigned long long v = std::stoull(s, &used);
    if (used != s.size()) return std::nullopt;
    return v;
  } catch (...) {
    return std::nullopt;
  }
}

// Lines of a records file: "IPV4 IPV6" or "del IPV4"; '#' comments and blank lines skipped.
std::optional<std::vector<shmring::Record>> read_records(const std::string& path, bool allow_delete) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "shm_tool: cannot read %s\n", path.c_str());
    return std::nullopt;
  }
  std::vector<shmring::Record> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream words(line);
    std::string a, b, extra;
    if (!(words >> a)) continue;
    words >> b >> extra;
    shmring::Record r;
    std::optional<net::Ipv4Address> v4;
    if (a == "del" && allow_delete && !b.empty() && extra.empty()) {
      r.kind = shmring::Kind::kErase;
      v4 = net::Ipv4Address::parse(b);
    } else if (!b.empty() && extra.empty()) {
      r.kind = shmring::Kind::kUpsert;
      v4 = net::Ipv4Address::parse(a);
      auto v6 = net::Ipv6Address::parse(b);
      if (!v6) v4.reset();
      else r.ipv6 = v6->bytes();
    }
    if (!v4) {
      std::fprintf(stderr, "shm_tool: %s:%d: expected \"IPV4 IPV6\"%s\n", path.c_str(), n,
                   allow_delete ? " or \"del IPV4\"" : "");
      return std::nullopt;
    }
    r.ipv4 = v4->to_host();
    out.push_back(r);
  }
  return out;
}

bool push(shmring::Producer& p, const shmring::Record& r) {
  const auto deadline = Clock::now() + 10s;
  while (!p.try_push(r)) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(20us);
  }
  return true;
}

shmring::Record marker(shmring::Kind kind) {
  shmring::Record r;
  r.kind = kind;
  return r;
}

int cmd_create(const std::string& name, const std::string& cap) {
  auto c = number(cap);
  if (!c || *c > UINT32_MAX) return usage();
  shmring::Segment::unlink(name);
  auto seg = shmring::Segment::create(name, static_cast<std::uint32_t>(*c));
  if (!seg) return fail(seg.error());
  return 0;
}

int cmd_push(const std::string& name, const std::string& file, bool snapshot) {
  auto records = read_records(file, !snapshot);
  if (!records) return 2;
  auto seg = shmring::Segment::attach(name);
  if (!seg) return fail(seg.error());
  shmring::Producer producer(*seg);
  if (snapshot && !push(producer, marker(shmring::Kind::kSnapshotBegin))) return fail("ring full for 10 s");
  for (const auto& r : *records) {
    if (!push(producer, r)) return fail("ring full for 10 s");
  }
  if (snapshot && !push(producer, marker(shmring::Kind::kSnapshotEnd))) return fail("ring full for 10 s");
  std::printf("%llu\n", static_cast<unsigned long long>(producer.next_sequence() - 1));
  return 0;
}

// Reads the header only: waiting must not look like an agent (re)start to anyone.
int cmd_wait(const std::string& name, std::uint64_t ms) {
  auto seg = shmring::Segment::attach(name);
  if (!seg) return fail(seg.error());
  const shmring::Header& h = seg->header();
  const std::uint64_t target = h.next_sequence.load(std::memory_order_relaxed) - 1;
  const auto deadline = Clock::now() + std::chrono::milliseconds(ms);
  while (h.last_applied_sequence.load(std::memory_order_acquire) < target) {
    if (Clock::now() > deadline) {
      return fail("sequence " + std::to_string(target) + " not applied within " + std::to_string(ms) +
                  " ms (applied: " + std::to_string(h.last_applied_sequence.load()) + ")");
    }
    std::this_thread::sleep_for(200us);
  }
  return 0;
}

int cmd_status(const std::string& name) {
  auto seg = shmring::Segment::attach(name);
  if (!seg) return fail(seg.error());
  const shmring::Header& h = seg->header();
  std::printf(
      "{\"capacity\": %u, \"dataplane_generation\": %llu, \"agent_generation\": %llu, "
      "\"last_applied_sequence\": %llu, \"next_sequence\": %llu, \"dataplane_heartbeat_ms\": %llu, "
      "\"now_ms\": %llu}\n",
      h.capacity, static_cast<unsigned long long>(h.dataplane_generation.load()),
      static_cast<unsigned long long>(h.agent_generation.load()),
      static_cast<unsigned long long>(h.last_applied_sequence.load()),
      static_cast<unsigned long long>(h.next_sequence.load()),
      static_cast<unsigned long long>(h.dataplane_heartbeat.load()),
      static_cast<unsigned long long>(shmring::monotonic_ms()));
  return 0;
}

std::string u64s(const std::vector<std::uint64_t>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + std::to_string(v[i]);
  return out + "]";
}

int cmd_stats(const std::string& name) {
  auto reader = shmring::StatsReader::attach(name);
  if (!reader) return fail(reader.error());
  const shmring::StatsSnapshot s = reader->snapshot();
  const auto& names = reader->counters();
  std::string out = "{\n  \"pid\": " + std::to_string(s.pid) +
                    ",\n  \"dataplane_generation\": " + std::to_string(s.dataplane_generation) +
                    ",\n  \"mappings\": " + std::to_string(s.mappings) +
                    ",\n  \"mapping_capacity\": " + std::to_string(s.mapping_capacity) +
                    ",\n  \"last_applied_sequence\": " + std::to_string(s.last_applied_sequence) +
                    ",\n  \"heartbeat_age_ms\": " +
                    std::to_string(s.taken_monotonic_ms >= s.heartbeat_ms ? s.taken_monotonic_ms - s.heartbeat_ms : 0) +
                    ",\n  \"uptime_ms\": " + std::to_string(s.taken_monotonic_ms - s.start_monotonic_ms) +
                    ",\n  \"rx_packets\": " + std::to_string(s.rx_packets) +
                    ",\n  \"tx_packets\": " + std::to_string(s.tx_packets) + ",\n  \"pools\": [";
  for (std::size_t i = 0; i < reader->pools().size(); ++i) {
    const auto& p = reader->pools()[i];
    out += (i ? ", \"" : "\"") + net::Ipv4Address::from_host(p.network).to_string() + "/" + std::to_string(p.length) + "\"";
  }
  out += "],\n  \"counters\": {";
  for (std::size_t i = 0; i < names.size(); ++i) {
    out += (i ? ",\n" : "\n") + std::string("    \"") + names[i].name + "-packets\": " + std::to_string(s.packets[i]) +
           ",\n    \"" + names[i].name + "-bytes\": " + std::to_string(s.bytes[i]);
  }
  out += "\n  },\n  \"descriptions\": {";
  for (std::size_t i = 0; i < names.size(); ++i) {
    out += (i ? ", " : "") + std::string("\"") + names[i].name + "\": \"" + names[i].description + "\"";
  }
  out += "},\n  \"lcores\": [";
  for (std::size_t i = 0; i < s.lcores.size(); ++i) {
    const auto& l = s.lcores[i];
    out += std::string(i ? ",\n" : "\n") + "    {\"lcore\": " + std::to_string(l.lcore_id) +
           ", \"rx_packets\": " + std::to_string(l.rx_packets) + ", \"tx_packets\": " + std::to_string(l.tx_packets) +
           ", \"packets\": " + u64s(l.packets) + "}";
  }
  out += "\n  ]\n}\n";
  std::fputs(out.c_str(), stdout);
  return 0;
}

shmring::Record upsert_for(std::uint32_t ipv4, std::uint64_t i) {
  shmring::Record r;
  r.kind = shmring::Kind::kUpsert;
  r.ipv4 = ipv4;
  r.ipv6 = {0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, 0, 0, 0, 0, 0, 0,
            static_cast<std::uint8_t>(i >> 24), static_cast<std::uint8_t>(i >> 16),
            static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
  return r;
}

// Installs through a running dataplane: a sliding window of records in flight; the latency of
// a record is from just before its try_push to the first observation of it applied.
int cmd_install(const std::string& name, std::uint64_t count, std::uint32_t base, std::uint64_t window) {
  auto seg = shmring::Segment::attach(name);
  if (!seg) return fail(seg.error());
  shmring::Producer producer(*seg);
  window = std::max<std::uint64_t>(1, std::min<std::uint64_t>(window, producer.free_slots()));
  const std::uint64_t first = producer.next_sequence();
  std::vector<Clock::time_point> pushed(count);
  std::vector<double> latency_us;
  latency_us.reserve(count);
  std::uint64_t sent = 0, done = 0;
  const auto start = Clock::now();
  const auto deadline = start + 120s;
  while (done < count) {
    while (sent < count && sent - done < window) {
      pushed[sent] = Clock::now();
      if (!producer.try_push(upsert_for(base + static_cast<std::uint32_t>(sent), sent))) break;
      ++sent;
    }
    const std::uint64_t applied = producer.last_applied();
    const auto now = Clock::now();
    while (done < sent && first + done <= applied) {
      latency_us.push_back(std::chrono::duration<double, std::micro>(now - pushed[done]).count());
      ++done;
    }
    if (now > deadline) return fail("dataplane applied " + std::to_string(done) + " of " + std::to_string(count) + " in 120 s");
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latency_us.begin(), latency_us.end());
  auto pct = [&](double p) { return latency_us[std::min(latency_us.size() - 1, static_cast<std::size_t>(p * static_cast<double>(latency_us.size())))]; };
  std::printf("{\"installs\": %llu, \"seconds\": %.6f, \"installs_per_s\": %.0f, \"apply_latency_p50_us\": %.1f, "
              "\"apply_latency_p99_us\": %.1f, \"apply_latency_max_us\": %.1f}\n",
              static_cast<unsigned long long>(count), seconds, static_cast<double>(count) / seconds, pct(0.50), pct(0.99),
              latency_us.back());
  return 0;
}

// The agent's side of DESIGN.md flow 6, timed: notice the new dataplane generation, replay.
int cmd_resync(const std::string& name, std::uint64_t count, std::uint32_t base) {
  auto seg = shmring::Segment::attach(name);
  if (!seg) return fail(seg.error());
  shmring::Producer producer(*seg);
  const std::uint64_t generation = producer.dataplane_generation();
  const auto give_up = Clock::now() + 60s;
  while (producer.dataplane_generation() == generation) {  // the dataplane is (re)starting
    if (Clock::now() > give_up) return fail("no dataplane attached within 60 s");
    std::this_thread::sleep_for(100us);
  }
  const auto start = Clock::now();
  if (!push(producer, marker(shmring::Kind::kSnapshotBegin))) return fail("ring full for 10 s");
  for (std::uint64_t i = 0; i < count; ++i) {
    if (!push(producer, upsert_for(base + static_cast<std::uint32_t>(i), i))) return fail("ring full for 10 s");
  }
  if (!push(producer, marker(shmring::Kind::kSnapshotEnd))) return fail("ring full for 10 s");
  if (!producer.wait_applied(producer.next_sequence() - 1, 60s)) return fail("snapshot not applied within 60 s");
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  std::printf("{\"mappings\": %llu, \"resync_ms\": %.1f, \"dataplane_generation\": %llu}\n",
              static_cast<unsigned long long>(count), ms, static_cast<unsigned long long>(producer.dataplane_generation()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() < 2) return usage();
  const std::string& cmd = a[0];
  const std::string& name = a[1];
  if (cmd == "create" && a.size() == 3) return cmd_create(name, a[2]);
  if (cmd == "push" && a.size() == 3) return cmd_push(name, a[2], false);
  if (cmd == "snapshot" && a.size() == 3) return cmd_push(name, a[2], true);
  if (cmd == "wait" && (a.size() == 2 || a.size() == 3)) {
    auto ms = a.size() == 3 ? number(a[2]) : std::optional<std::uint64_t>(10000);
    return ms ? cmd_wait(name, *ms) : usage();
  }
  if (cmd == "status" && a.size() == 2) return cmd_status(name);
  if (cmd == "stats" && a.size() == 2) return cmd_stats(name);
  if ((cmd == "install" && (a.size() == 4 || a.size() == 5)) || (cmd == "resync" && a.size() == 4)) {
    auto count = number(a[2]);
    auto base = net::Ipv4Address::parse(a[3]);
    auto window = a.size() == 5 ? number(a[4]) : std::optional<std::uint64_t>(4096);
    if (!count || *count == 0 || !base || !window) return usage();
    return cmd == "install" ? cmd_install(name, *count, base->to_host(), *window)
                            : cmd_resync(name, *count, base->to_host());
  }
  return usage();
}

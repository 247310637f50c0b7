// Parses dstm-dataplane.toml (see config.h; every key is documented in dataplane/README.md).
//
// Two passes: first the shape of the document (unknown keys and tables, a table where a value
// belongs), reporting the earliest offender in the file; then the values, in the order of the
// reference. Only the first error is returned: later checks would often just repeat it.
#include "config.h"

#include <toml++/toml.h>

#include "config/config.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>
#include <vector>

#include "packet/reassembly.h"  // kMaxReassemblyCapacity

namespace dstm::dp {
namespace {

// Every table, then every value key, as dotted paths. Anything else in the file is an error,
// so that a typo ("hop_limt") is refused instead of silently leaving the default in place.
// clang-format off
constexpr std::string_view kTables[] = {
    "tep", "ports", "ports.ipv6", "ports.ipv4", "next_hops", "next_hops.ipv6", "next_hops.ipv4",
    "icmp", "table", "dataplane", "control", "reassembly"};
constexpr std::string_view kValueKeys[] = {
    "tep.ipv6", "tep.ipv4", "tep.pools", "tep.tunnel_mtu", "tep.hop_limit", "tep.hairpinning",
    "tep.answer_echo", "tep.path_mtu_expiry",
    "ports.ipv6.port", "ports.ipv6.vlan", "ports.ipv4.port", "ports.ipv4.vlan",
    "next_hops.ipv6.gateway", "next_hops.ipv6.mac", "next_hops.ipv4.gateway", "next_hops.ipv4.mac",
    "icmp.time_exceeded", "icmp.host_unreachable", "icmp.frag_needed", "icmp.source_unreachable",
    "icmp.parameter_problem", "icmp.packet_too_big", "icmp.reassembly_time_exceeded",
    "icmp.rate_per_second", "icmp.burst",
    "table.capacity", "table.fallback",
    "dataplane.burst", "dataplane.learning", "dataplane.learn_rate",
    "control.shm", "control.batch", "control.poll_us",
    "reassembly.capacity", "reassembly.timeout_ms"};
// clang-format on

using config::Errors;
using config::Section;

// Why a will not do as a TEP address (we decapsulate for it and encapsulate from tep_ipv6[0]).
std::string_view unusable_tep_ipv6(const net::Ipv6Address& a) {
  if (a.is_unspecified()) return "is unspecified";
  if (a.is_multicast()) return "is multicast";
  if (a.is_link_local()) return "is link-local (a TEP address must be reachable off-link)";
  if (a.is_global_unicast()) return {};
  return "is not a global unicast address (loopback, IPv4-mapped or IPv4-compatible)";
}

// Blocks a pool must not touch: never routable as a unicast source (RFC 1812 §5.3.7).
constexpr std::array<net::Ipv4Prefix, 4> martian_blocks() {
  return {*net::Ipv4Prefix::make(net::Ipv4Address::from_octets(0, 0, 0, 0), 8),
          *net::Ipv4Prefix::make(net::Ipv4Address::from_octets(127, 0, 0, 0), 8),
          *net::Ipv4Prefix::make(net::Ipv4Address::from_octets(169, 254, 0, 0), 16),
          *net::Ipv4Prefix::make(net::Ipv4Address::from_octets(224, 0, 0, 0), 3)};
}

bool overlap(const net::Ipv4Prefix& a, const net::Ipv4Prefix& b) {
  return a.contains(b) || b.contains(a);
}

void read_tep(const toml::table& root, Errors& errors, DataplaneConfig& cfg) {
  Section s(root, "tep", errors);
  TepContext& tep = cfg.tep;

  if (const auto* a = s.nonempty_array("ipv6", "[\"2001:db8:1::1\"]")) {
    for (std::size_t i = 0; i < a->size(); ++i) {
      const toml::node& n = *a->get(i);
      std::string key = s.name("ipv6") + "[" + std::to_string(i) + "]";
      auto text = s.string_of(n, key);
      if (!text) continue;
      auto addr = net::Ipv6Address::parse(*text);
      if (!addr) {
        s.fail(n, key, "'" + std::string(*text) + "' is not an IPv6 address");
      } else if (auto why = unusable_tep_ipv6(*addr); !why.empty()) {
        s.fail(n, key, "'" + std::string(*text) + "' " + std::string(why));
      } else if (tep.is_tep_ipv6(*addr)) {
        s.fail(n, key, "'" + std::string(*text) + "' is listed twice");
      } else {
        tep.tep_ipv6.push_back(*addr);
      }
    }
  }

  const toml::node* v4 = s.get("ipv4");
  if (v4 == nullptr) {
    s.missing("ipv4");
  } else if (auto text = s.string_of(*v4, s.name("ipv4"))) {
    auto addr = net::Ipv4Address::parse(*text);
    if (!addr) {
      s.fail(*v4, s.name("ipv4"), "'" + std::string(*text) + "' is not an IPv4 address");
    } else if (addr->is_martian() || addr->is_limited_broadcast()) {
      s.fail(*v4, s.name("ipv4"), "'" + std::string(*text) + "' is not a unicast address");
    } else {
      tep.tep_ipv4 = *addr;
    }
  }

  if (const auto* a = s.nonempty_array("pools", "[\"192.0.2.0/24\"]")) {
    for (std::size_t i = 0; i < a->size(); ++i) {
      const toml::node& n = *a->get(i);
      std::string key = s.name("pools") + "[" + std::to_string(i) + "]";
      auto text = s.string_of(n, key);
      if (!text) continue;
      auto pool = net::Ipv4Prefix::parse(*text);
      if (!pool) {
        // The strict parse refuses host bits; the lenient one tells a typo from garbage.
        if (auto lenient = net::Ipv4Prefix::parse_lenient(*text)) {
          s.fail(n, key,
                 "'" + std::string(*text) + "' has host bits set (did you mean " +
                     lenient->to_string() + "?)");
        } else {
          s.fail(n, key, "'" + std::string(*text) + "' is not an IPv4 prefix (A.B.C.D/LEN)");
        }
        continue;
      }
      for (std::size_t j = 0; j < tep.pools.size(); ++j) {
        if (overlap(*pool, tep.pools[j])) {
          s.fail(n, key,
                 pool->to_string() + " overlaps tep.pools[" + std::to_string(j) + "] " +
                     tep.pools[j].to_string());
        }
      }
      for (const auto& m : martian_blocks()) {
        if (overlap(*pool, m)) {
          s.fail(n, key,
                 pool->to_string() + " overlaps " + m.to_string() +
                     ", which is never a unicast source");
        }
      }
      if (pool->contains(tep.tep_ipv4) && v4 != nullptr) {
        s.fail(n, key,
               pool->to_string() + " contains tep.ipv4 (" + tep.tep_ipv4.to_string() +
                   "): the TEP's own address cannot be leased");
      }
      tep.pools.push_back(*pool);
    }
  }

  // 576: the IPv4 minimum every host must accept (RFC 791); 9000: a jumbo frame.
  s.integer_into("tunnel_mtu", 576, 9000, tep.tunnel_mtu);
  s.integer_into("hop_limit", 1, 255, tep.hop_limit);
  s.boolean_into("hairpinning", tep.hairpinning);
  s.boolean_into("answer_echo", tep.answer_echo);
  // Seconds; the per-node MTU cache stamps entries modulo 2^16 s (packet/path_mtu.h).
  s.integer_into("path_mtu_expiry", 10, 65000, tep.path_mtu_expiry_s);
}

void read_port(const toml::table& root, std::string_view path, Errors& errors, PortSide& side) {
  Section s(root, path, errors);
  s.integer_into("port", 0, 65535, side.port);
  std::uint16_t vlan = 0;
  s.integer_into("vlan", 1, 4094, vlan);  // 0 is priority tagging and 4095 is reserved
  if (vlan != 0) side.vlan = vlan;
}

void read_ports(const toml::table& root, Errors& errors, DataplaneConfig& cfg) {
  read_port(root, "ports.ipv6", errors, cfg.ipv6_side);
  read_port(root, "ports.ipv4", errors, cfg.ipv4_side);
  // One port may carry both sides, told apart by EtherType or VLAN; two equal VIDs cannot be.
  if (cfg.ipv6_side.port == cfg.ipv4_side.port && cfg.ipv6_side.vlan &&
      cfg.ipv6_side.vlan == cfg.ipv4_side.vlan) {
    Section s(root, "ports.ipv4", errors);
    s.fail(*s.get("vlan"), s.name("vlan"),
           "the same port and VLAN as ports.ipv6: the two sides must differ");
  }
}

void read_next_hops(const toml::table& root, Errors& errors, DataplaneConfig& cfg) {
  Section v6(root, "next_hops.ipv6", errors);
  if (const toml::node* n = v6.get("gateway"); n == nullptr) {
    v6.missing("gateway");
  } else if (auto text = v6.string_of(*n, v6.name("gateway"))) {
    auto addr = net::Ipv6Address::parse(*text);
    // A link-local gateway is normal (routers advertise fe80::...), so only these are refused.
    if (!addr) {
      v6.fail(*n, v6.name("gateway"), "'" + std::string(*text) + "' is not an IPv6 address");
    } else if (addr->is_unspecified() || addr->is_multicast() || addr->is_loopback()) {
      v6.fail(*n, v6.name("gateway"), "'" + std::string(*text) + "' is not a unicast address");
    } else if (cfg.tep.is_tep_ipv6(*addr)) {
      v6.fail(*n, v6.name("gateway"), "'" + std::string(*text) + "' is a TEP address (tep.ipv6)");
    } else {
      cfg.ipv6_gateway = *addr;
    }
  }
  v6.mac_into("mac", cfg.ipv6_gateway_mac);

  Section v4(root, "next_hops.ipv4", errors);
  if (const toml::node* n = v4.get("gateway"); n == nullptr) {
    v4.missing("gateway");
  } else if (auto text = v4.string_of(*n, v4.name("gateway"))) {
    auto addr = net::Ipv4Address::parse(*text);
    if (!addr) {
      v4.fail(*n, v4.name("gateway"), "'" + std::string(*text) + "' is not an IPv4 address");
    } else if (addr->is_martian() || addr->is_limited_broadcast()) {
      v4.fail(*n, v4.name("gateway"), "'" + std::string(*text) + "' is not a unicast address");
    } else if (*addr == cfg.tep.tep_ipv4 || cfg.tep.in_pool(*addr)) {
      v4.fail(*n, v4.name("gateway"),
              "'" + std::string(*text) + "' is the TEP's own address or in tep.pools");
    } else {
      cfg.ipv4_gateway = *addr;
    }
  }
  v4.mac_into("mac", cfg.ipv4_gateway_mac);
}

void read_icmp(const toml::table& root, Errors& errors, DataplaneConfig& cfg) {
  Section s(root, "icmp", errors);
  IcmpPolicy& p = cfg.tep.icmp;
  s.boolean_into("time_exceeded", p.time_exceeded);
  s.boolean_into("host_unreachable", p.host_unreachable);
  s.boolean_into("frag_needed", p.frag_needed);
  s.boolean_into("source_unreachable", p.source_unreachable);
  s.boolean_into("parameter_problem", p.parameter_problem);
  s.boolean_into("packet_too_big", p.packet_too_big);
  s.boolean_into("reassembly_time_exceeded", p.reassembly_time_exceeded);
  s.integer_into("rate_per_second", 0, 1'000'000, cfg.icmp_rate.per_second);
  s.integer_into("burst", 1, 1'000'000, cfg.icmp_rate.burst);
}

void read_table_and_dataplane(const toml::table& root, Errors& errors, DataplaneConfig& cfg) {
  Section t(root, "table", errors);
  t.integer_into("capacity", 1, TableConfig::kMaxCapacity, cfg.table.capacity);
  t.integer_into("fallback", 0, TableConfig::kMaxCapacity, cfg.table.fallback);
  // lib/mapping stores one entry per pool address plus the fallback (types.h max_entries).
  std::uint64_t pooled = 0;
  for (const auto& p : cfg.tep.pools) pooled += p.size();
  if (!cfg.tep.pools.empty() && pooled + cfg.table.fallback > cfg.table.capacity) {
    Section tep(root, "tep", errors);
    tep.fail(*tep.get("pools"), "tep.pools",
             "the pools hold " + std::to_string(pooled) + " addresses; with table.fallback (" +
                 std::to_string(cfg.table.fallback) + ") that exceeds table.capacity (" +
                 std::to_string(cfg.table.capacity) + ")");
  }

  Section d(root, "dataplane", errors);
  d.integer_into("burst", 1, 64, cfg.burst_size);  // 64: lib/mapping's kMaxBurst
  d.boolean_into("learning", cfg.learning);
  d.integer_into("learn_rate", 0, 1'000'000, cfg.learn_rate);
}

// A POSIX shared-memory name as shm_open(3) wants it: one leading '/', then 1..200 portable
// characters (the '-stats' suffix of the counters segment must still fit NAME_MAX = 255).
std::string_view bad_shm_name(std::string_view name) {
  if (name.empty()) return "is empty";
  if (name.size() > 200) return "is longer than 200 characters";
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return "may hold only letters, digits, '-', '_' and '.' (after an optional leading '/')";
  }
  if (name == "." || name == "..") return "is not a name";
  return {};
}

void read_control(const toml::table& root, Errors& errors, DataplaneConfig& cfg) {
  Section s(root, "control", errors);
  if (const toml::node* n = s.get("shm")) {
    if (auto text = s.string_of(*n, s.name("shm"))) {
      std::string_view name = *text;
      if (!name.empty() && name.front() == '/') name.remove_prefix(1);
      if (auto why = bad_shm_name(name); !why.empty()) {
        s.fail(*n, s.name("shm"), "'" + std::string(*text) + "' " + std::string(why));
      } else {
        cfg.control.shm = "/" + std::string(name);
      }
    }
  }
  s.integer_into("batch", 1, ControlConfig::kMaxBatch, cfg.control.batch);
  s.integer_into("poll_us", 1, 1'000'000, cfg.control.poll_us);
}

void read_reassembly(const toml::table& root, Errors& errors, DataplaneConfig& cfg) {
  Section r(root, "reassembly", errors);
  r.integer_into("capacity", 1, kMaxReassemblyCapacity, cfg.reassembly.capacity);
  r.integer_into("timeout_ms", 1, ReassemblyConfig::kMaxTimeoutMs, cfg.reassembly.timeout_ms);
}

}  // namespace

Expected<DataplaneConfig, std::string> parse_config(std::string_view text,
                                                    std::string_view source_name) {
  static constexpr config::Schema kSchema{kTables, kValueKeys};
  auto parsed = config::parse(text, source_name, kSchema);
  if (!parsed) return unexpected(parsed.error());
  const toml::table& root = *parsed;

  Errors errors(source_name);
  DataplaneConfig cfg;
  read_tep(root, errors, cfg);
  read_ports(root, errors, cfg);
  read_next_hops(root, errors, cfg);
  read_icmp(root, errors, cfg);
  read_table_and_dataplane(root, errors, cfg);
  read_control(root, errors, cfg);
  read_reassembly(root, errors, cfg);
  if (errors.failed()) return unexpected(errors.first());
  return cfg;
}

Expected<std::string, std::string> read_text_file(const std::string& path) {
  return config::read_text_file(path);
}

Expected<DataplaneConfig, std::string> load_config(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) return unexpected(text.error());
  return parse_config(*text, path);
}

}  // namespace dstm::dp

// Helpers shared by the lease tests: pools, addresses, and a temp dir that is always removed.
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <utility>
#include <string>

#include "lease/lease.h"

namespace dstm::lease::test {

inline net::Ipv4Address v4(const char* text) { return *net::Ipv4Address::parse(text); }
inline net::Ipv6Address v6(const char* text) { return *net::Ipv6Address::parse(text); }
inline net::Ipv4Prefix p4(const char* text) { return *net::Ipv4Prefix::parse(text); }

// 2001:db8:<net>::<host>: node `host` in /64 number `net`.
inline net::Ipv6Address node(std::uint16_t net, std::uint16_t host) {
  return net::Ipv6Address::from_groups({0x2001, 0x0db8, net, 0, 0, 0, 0, host});
}

inline Allocator make_allocator(PoolConfig config) {
  auto a = Allocator::create(std::move(config));
  if (!a) throw std::runtime_error(a.error());
  return std::move(a).value();
}

// mkdtemp(3) under $TMPDIR: unique per call, removed with everything in it on every way out.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "dstm-lease-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const char* name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace dstm::lease::test

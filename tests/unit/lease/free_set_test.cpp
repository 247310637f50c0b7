// The hierarchical free bitmap behind the allocator, against a std::set.
#include <catch2/catch.hpp>
#include <random>
#include <set>

#include "lease/free_set.h"

using dstm::lease::detail::FreeSet;

namespace {
std::optional<std::uint64_t> reference_find(const std::set<std::uint64_t>& s, std::uint64_t size,
                                            std::uint64_t start) {
  if (s.empty()) return std::nullopt;
  auto it = s.lower_bound(start % size);
  return it != s.end() ? *it : *s.begin();
}
}  // namespace

TEST_CASE("FreeSet finds the next free index with wrap-around", "[lease]") {
  for (std::uint64_t size : {1ULL, 63ULL, 64ULL, 65ULL, 4096ULL, 4097ULL, 300000ULL}) {
    INFO("size " << size);
    FreeSet f(size);
    std::set<std::uint64_t> ref;
    CHECK_FALSE(f.find_from(0));
    std::mt19937_64 rng(size);
    for (int step = 0; step < 3000; ++step) {
      const std::uint64_t i = rng() % size;
      if (rng() % 3 == 0) {
        f.reset(i);
        ref.erase(i);
      } else {
        f.set(i);
        ref.insert(i);
      }
      const std::uint64_t start = rng() % (size + 10);
      REQUIRE(f.find_from(start) == reference_find(ref, size, start));
      REQUIRE(f.test(i) == (ref.count(i) == 1));
    }
  }
}

TEST_CASE("FreeSet summary levels clear when the last free bit goes", "[lease]") {
  FreeSet f(64 * 64 * 2);
  f.set(5000);
  f.set(7);
  CHECK(f.find_from(8) == 5000u);
  f.reset(5000);
  CHECK(f.find_from(8) == 7u);  // wrapped round, the summary for 5000 is gone
  f.reset(7);
  CHECK_FALSE(f.find_from(0));
}

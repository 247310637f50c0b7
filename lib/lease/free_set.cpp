#include "lease/free_set.h"

#include <bit>
#include <cassert>

namespace dstm::lease::detail {

namespace {
constexpr std::uint64_t kWordBits = 64;

std::uint64_t bit_of(std::uint64_t i) { return std::uint64_t{1} << (i % kWordBits); }
std::uint64_t lowest(std::uint64_t word) {
  return static_cast<std::uint64_t>(std::countr_zero(word));
}
}  // namespace

FreeSet::FreeSet(std::uint64_t size) : size_(size) {
  std::uint64_t words = (size + kWordBits - 1) / kWordBits;
  if (words == 0) words = 1;
  for (;;) {
    levels_.emplace_back(words, 0);
    if (words == 1) break;
    words = (words + kWordBits - 1) / kWordBits;
  }
}

bool FreeSet::test(std::uint64_t i) const {
  assert(i < size_);
  return (levels_[0][i / kWordBits] & bit_of(i)) != 0;
}

void FreeSet::set(std::uint64_t i) {
  assert(i < size_);
  for (auto& level : levels_) {
    std::uint64_t& word = level[i / kWordBits];
    const bool was_empty = word == 0;
    word |= bit_of(i);
    if (!was_empty) return;  // the summary bits above are already set
    i /= kWordBits;
  }
}

void FreeSet::reset(std::uint64_t i) {
  assert(i < size_);
  for (auto& level : levels_) {
    std::uint64_t& word = level[i / kWordBits];
    word &= ~bit_of(i);
    if (word != 0) return;  // the word still has a free bit: the summary above stays set
    i /= kWordBits;
  }
}

std::optional<std::uint64_t> FreeSet::next_at(std::size_t level, std::uint64_t pos) const {
  const auto& words = levels_[level];
  const std::uint64_t w = pos / kWordBits;
  if (w >= words.size()) return std::nullopt;
  const std::uint64_t here = words[w] & (~std::uint64_t{0} << (pos % kWordBits));
  if (here != 0) return w * kWordBits + lowest(here);
  if (level + 1 == levels_.size()) return std::nullopt;  // the top level is a single word
  // The summary level says which later word has a free bit; descend into it.
  const auto up = next_at(level + 1, w + 1);
  if (!up) return std::nullopt;
  return *up * kWordBits + lowest(words[*up]);
}

std::optional<std::uint64_t> FreeSet::find_from(std::uint64_t start) const {
  if (size_ == 0) return std::nullopt;
  start %= size_;
  if (auto found = next_at(0, start)) return found;
  if (start == 0) return std::nullopt;
  return next_at(0, 0);
}

}  // namespace dstm::lease::detail

// HugeArray<T>: a fixed-size, zero-initialised array in its own anonymous mapping, advised to
// use transparent huge pages. Internal to lib/mapping.
//
// Why not std::vector: at 16M entries the slot and record arrays are hundreds of MiB, and
// random lookups over them are TLB-bound on 4 KiB pages. MADV_HUGEPAGE asks for 2 MiB pages
// where THP runs in `madvise` mode (Debian's default). The array is touched here, once, so the
// dataplane never takes a page fault on its fast path.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

namespace dstm::mapping::detail {

template <class T>
class HugeArray {
  static_assert(std::is_trivially_destructible_v<T>, "the mapping is unmapped, never destroyed");

 public:
  HugeArray() = default;
  explicit HugeArray(std::size_t n) { allocate(n); }
  ~HugeArray() { release(); }
  HugeArray(const HugeArray&) = delete;
  HugeArray& operator=(const HugeArray&) = delete;
  HugeArray(HugeArray&& o) noexcept { swap(o); }
  HugeArray& operator=(HugeArray&& o) noexcept {
    HugeArray tmp(std::move(o));
    swap(tmp);
    return *this;
  }

  // False when the mapping failed (n > 0 and no memory).
  bool ok() const { return n_ == 0 || data_ != nullptr; }
  std::size_t size() const { return n_; }
  T* data() { return data_; }
  const T* data() const { return data_; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }

 private:
  void allocate(std::size_t n) {
    n_ = n;
    if (n == 0) return;
    bytes_ = n * sizeof(T);
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return;
    // Advice only: without THP the array still works on 4 KiB pages.
    madvise(p, bytes_, MADV_HUGEPAGE);
    data_ = static_cast<T*>(p);
    // Value-initialise (zero) every element; this also pre-faults the pages.
    std::uninitialized_value_construct_n(data_, n);
  }
  void release() {
    if (data_ != nullptr) munmap(data_, bytes_);
    data_ = nullptr;
    n_ = 0;
  }
  void swap(HugeArray& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(n_, o.n_);
    std::swap(bytes_, o.bytes_);
  }

  T* data_ = nullptr;
  std::size_t n_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace dstm::mapping::detail

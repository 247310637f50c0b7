// Segment: create / attach / validate the shared-memory segment. DPDK is used only for
// rte_ring_get_memsize_elem and rte_ring_init (no EAL, TESTBED.md 2.6).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <new>
#include <utility>

#include "shmring/shmring.h"

namespace dstm::shmring {
namespace {

// The ring starts on its own page: rte_ring wants cache-line (128-byte on some CPUs) alignment
// and a page boundary also keeps the header's lines apart from the ring's.
constexpr std::uint64_t kRingOffset = 4096;
static_assert(sizeof(Header) <= kRingOffset);
constexpr char kRingName[] = "dstm_shmring";

using Result = Expected<Segment, std::string>;

std::string errno_text(const std::string& what, const std::string& name) {
  return what + " '" + name + "': " + std::strerror(errno);
}

void* map_failed() { return reinterpret_cast<void*>(std::intptr_t{-1}); }

// rte_ring rounds its slot count up to a power of two (RING_F_EXACT_SZ keeps `capacity` usable).
std::uint32_t ring_slots(std::uint32_t capacity) { return std::bit_ceil(capacity + 1); }

std::int64_t ring_bytes_for(std::uint32_t capacity) {
  return rte_ring_get_memsize_elem(static_cast<unsigned>(kRecordSize), ring_slots(capacity));
}

// Closes the fd on every path out of create/attach; the mapping keeps the memory alive.
struct FdGuard {
  int fd;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::uint64_t monotonic_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000U + static_cast<std::uint64_t>(ts.tv_nsec) / 1000000U;
}

std::uint16_t record_check(const Record& r) {
  // FNV-1a over the record's bytes with `check` zeroed, folded to 16 bits.
  Record copy = r;
  copy.check = 0;
  unsigned char bytes[sizeof(Record)];
  std::memcpy(bytes, &copy, sizeof(Record));
  std::uint32_t h = 2166136261U;
  for (unsigned char b : bytes) {
    h ^= b;
    h *= 16777619U;
  }
  return static_cast<std::uint16_t>((h >> 16) ^ (h & 0xffffU));
}

Result Segment::create_on(int fd, std::uint32_t capacity, std::string name) {
  if (capacity == 0 || capacity > kMaxCapacity) {
    return unexpected("shm segment '" + name + "': capacity " + std::to_string(capacity) +
                      " outside 1.." + std::to_string(kMaxCapacity));
  }
  const std::int64_t ring_bytes = ring_bytes_for(capacity);
  if (ring_bytes <= 0) return unexpected("shm segment '" + name + "': rte_ring_get_memsize_elem failed");
  const std::uint64_t total = kRingOffset + static_cast<std::uint64_t>(ring_bytes);
  if (::ftruncate(fd, static_cast<off_t>(total)) != 0) return unexpected(errno_text("ftruncate", name));
  void* base = ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == map_failed()) return unexpected(errno_text("mmap", name));
  Segment seg = Segment(base, total, std::move(name));

  // Fresh ftruncate'd memory is zero, so `magic` reads 0 ("not ready") until the end.
  auto* h = new (base) Header{};
  h->layout_version = kLayoutVersion;
  h->record_size = static_cast<std::uint32_t>(kRecordSize);
  h->capacity = capacity;
  h->ring_offset = kRingOffset;
  h->ring_bytes = static_cast<std::uint64_t>(ring_bytes);
  h->segment_bytes = total;
  h->next_sequence.store(1, std::memory_order_relaxed);
  auto* ring = reinterpret_cast<rte_ring*>(static_cast<unsigned char*>(base) + kRingOffset);
  const int rc = rte_ring_init(ring, kRingName, capacity, RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
  if (rc != 0) return unexpected("shm segment '" + seg.name() + "': rte_ring_init failed: " + std::strerror(-rc));
  // Release: an attacher that acquires a non-zero magic sees the header and the ring initialised.
  h->magic.store(kMagic, std::memory_order_release);
  return seg;
}

Result Segment::attach_on(int fd, std::string name) {
  struct stat st{};
  if (::fstat(fd, &st) != 0) return unexpected(errno_text("fstat", name));
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size < kRingOffset) {
    return unexpected("shm segment '" + name + "': " + std::to_string(size) +
                      " bytes, too small for a dstm shmring (not created yet, or not ours)");
  }
  void* base = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == map_failed()) return unexpected(errno_text("mmap", name));
  Segment seg = Segment(base, size, std::move(name));
  const Header& h = seg.header();
  const std::string prefix = "shm segment '" + seg.name() + "': ";
  // Acquire pairs with the creator's release store of magic.
  const std::uint64_t magic = h.magic.load(std::memory_order_acquire);
  if (magic == 0) return unexpected(prefix + "not initialised yet (creator still running?)");
  if (magic != kMagic) return unexpected(prefix + "bad magic, not a dstm shmring");
  if (h.layout_version != kLayoutVersion) {
    return unexpected(prefix + "layout version " + std::to_string(h.layout_version) + ", expected " +
                      std::to_string(kLayoutVersion) + " (agent and dataplane from different builds?)");
  }
  if (h.record_size != kRecordSize) {
    return unexpected(prefix + "record size " + std::to_string(h.record_size) + ", expected " +
                      std::to_string(kRecordSize));
  }
  const std::int64_t ring_bytes =
      h.capacity >= 1 && h.capacity <= kMaxCapacity ? ring_bytes_for(h.capacity) : -1;
  if (ring_bytes <= 0 || h.ring_offset != kRingOffset || h.ring_bytes != static_cast<std::uint64_t>(ring_bytes) ||
      h.segment_bytes != kRingOffset + h.ring_bytes || size != h.segment_bytes) {
    return unexpected(prefix + "size mismatch (file " + std::to_string(size) + " bytes, header says " +
                      std::to_string(h.segment_bytes) + ", capacity " + std::to_string(h.capacity) + ")");
  }
  const rte_ring* r = seg.ring();
  if (r->capacity != h.capacity || r->size != ring_slots(h.capacity)) {
    return unexpected(prefix + "ring does not match header capacity");
  }
  return seg;
}

Result Segment::create(std::string_view name, std::uint32_t capacity) {
  const std::string n(name);
  FdGuard fd{::shm_open(n.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600)};
  if (fd.fd < 0) return unexpected(errno_text("shm_open(create)", n));
  auto seg = create_on(fd.fd, capacity, n);
  if (!seg) ::shm_unlink(n.c_str());  // leave no half-made segment behind
  return seg;
}

Result Segment::create_fd(int fd, std::uint32_t capacity) {
  return create_on(fd, capacity, "fd:" + std::to_string(fd));
}

Result Segment::attach(std::string_view name) {
  const std::string n(name);
  FdGuard fd{::shm_open(n.c_str(), O_RDWR, 0)};
  if (fd.fd < 0) return unexpected(errno_text("shm_open(attach)", n));
  return attach_on(fd.fd, n);
}

Result Segment::attach_fd(int fd) { return attach_on(fd, "fd:" + std::to_string(fd)); }

bool Segment::unlink(std::string_view name) { return ::shm_unlink(std::string(name).c_str()) == 0; }

Segment::Segment(Segment&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)), bytes_(std::exchange(other.bytes_, 0)), name_(std::move(other.name_)) {}

Segment& Segment::operator=(Segment&& other) noexcept {
  if (this != &other) {
    if (base_ != nullptr) ::munmap(base_, bytes_);
    base_ = std::exchange(other.base_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
    name_ = std::move(other.name_);
  }
  return *this;
}

Segment::~Segment() {
  if (base_ != nullptr) ::munmap(base_, bytes_);
}

rte_ring* Segment::ring() const {
  return reinterpret_cast<rte_ring*>(static_cast<unsigned char*>(base_) + header().ring_offset);
}

}  // namespace dstm::shmring

// StatsWriter / StatsReader: the dataplane's counters and status segment (stats.h). No DPDK.
#include "shmring/stats.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "shmring/shmring.h"

namespace dstm::shmring {
namespace {

constexpr std::uint64_t round_up(std::uint64_t n, std::uint64_t to) { return (n + to - 1) / to * to; }

struct Offsets {
  std::uint64_t names = 0;
  std::uint64_t pools = 0;
  std::uint64_t blocks = 0;
  std::uint32_t block_bytes = 0;
  std::uint64_t total = 0;
};

// The one place the regions are laid out; the reader recomputes it to validate the header.
Offsets offsets_for(std::uint64_t counters, std::uint64_t lcores, std::uint64_t pools) {
  Offsets o;
  o.names = round_up(sizeof(StatsHeader), kStatsLine);
  o.pools = o.names + counters * sizeof(StatsCounterName);
  o.blocks = round_up(o.pools + pools * sizeof(StatsPool), kStatsLine);
  o.block_bytes = stats_block_bytes(static_cast<std::uint32_t>(counters));
  o.total = o.blocks + lcores * o.block_bytes;
  return o;
}

std::string errno_text(const std::string& what, const std::string& name) {
  return what + " '" + name + "': " + std::strerror(errno);
}

void* map_failed() { return reinterpret_cast<void*>(std::intptr_t{-1}); }

struct FdGuard {
  int fd;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
};

std::uint64_t realtime_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000U + static_cast<std::uint64_t>(ts.tv_nsec) / 1000000U;
}

bool process_alive(std::int64_t pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

// A reader's relaxed load of a word another process writes through atomic_ref. The mapping is
// read-only here; a relaxed 8-byte atomic load only reads (a plain aligned load on every
// platform DPDK supports), so the const_cast never leads to a write.
std::uint64_t load_word(const std::uint64_t& word) {
  return std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(word)).load(std::memory_order_relaxed);
}

bool fits(const char* text, std::size_t room) { return std::memchr(text, '\0', room) != nullptr; }

// Validates a mapped segment's header against its own file size; the error says why not.
std::string validate(const StatsHeader& h, std::uint64_t size, const std::string& name) {
  const std::string prefix = "stats segment '" + name + "': ";
  const std::uint64_t magic = h.magic.load(std::memory_order_acquire);  // pairs with the creator's release
  if (magic == 0) return prefix + "not initialised yet (dataplane still starting?)";
  if (magic != kStatsMagic) return prefix + "bad magic, not a dstm stats segment";
  if (h.layout_version != kStatsLayoutVersion) {
    return prefix + "layout version " + std::to_string(h.layout_version) + ", expected " +
           std::to_string(kStatsLayoutVersion) + " (dataplane and reader from different builds?)";
  }
  if (h.header_bytes != sizeof(StatsHeader) || h.counter_count > kMaxStatsCounters ||
      h.lcore_count > kMaxStatsLcores || h.pool_count > kMaxStatsPools) {
    return prefix + "header out of bounds";
  }
  const Offsets o = offsets_for(h.counter_count, h.lcore_count, h.pool_count);
  if (h.names_offset != o.names || h.pools_offset != o.pools || h.blocks_offset != o.blocks ||
      h.block_bytes != o.block_bytes || h.segment_bytes != o.total || size != o.total) {
    return prefix + "size mismatch (file " + std::to_string(size) + " bytes, header says " +
           std::to_string(h.segment_bytes) + ")";
  }
  return {};
}

}  // namespace

// ---- StatsWriter -------------------------------------------------------------------------------

Expected<StatsWriter, std::string> StatsWriter::build(void* base, std::size_t bytes, std::string name,
                                                      const StatsLayout& layout) {
  StatsWriter w(base, bytes, std::move(name));
  const Offsets o = offsets_for(layout.counters.size(), layout.lcores.size(), layout.pools.size());
  auto* bytes_at = static_cast<unsigned char*>(base);
  // Fresh memory is zero, so magic reads 0 ("not ready") until the end.
  auto* h = new (base) StatsHeader{};
  h->layout_version = kStatsLayoutVersion;
  h->header_bytes = sizeof(StatsHeader);
  h->segment_bytes = o.total;
  h->counter_count = static_cast<std::uint32_t>(layout.counters.size());
  h->lcore_count = static_cast<std::uint32_t>(layout.lcores.size());
  h->pool_count = static_cast<std::uint32_t>(layout.pools.size());
  h->block_bytes = o.block_bytes;
  h->names_offset = o.names;
  h->pools_offset = o.pools;
  h->blocks_offset = o.blocks;
  h->pid = ::getpid();
  h->start_unix_ms = realtime_ms();
  h->start_monotonic_ms = monotonic_ms();
  h->heartbeat_ms.store(h->start_monotonic_ms, std::memory_order_relaxed);
  h->mapping_capacity = layout.mapping_capacity;
  auto* names = reinterpret_cast<StatsCounterName*>(bytes_at + o.names);
  for (std::size_t i = 0; i < layout.counters.size(); ++i) {
    const auto& c = layout.counters[i];
    // Checked by create(); copied with their NUL.
    std::memcpy(names[i].name, c.name.c_str(), c.name.size() + 1);
    std::memcpy(names[i].description, c.description.c_str(), c.description.size() + 1);
  }
  auto* pools = reinterpret_cast<StatsPool*>(bytes_at + o.pools);
  for (std::size_t i = 0; i < layout.pools.size(); ++i) {
    pools[i].network = layout.pools[i].network;
    pools[i].length = layout.pools[i].length;
  }
  for (std::size_t i = 0; i < layout.lcores.size(); ++i) {
    auto* lh = reinterpret_cast<StatsLcoreHeader*>(bytes_at + o.blocks + i * o.block_bytes);
    lh->lcore_id = layout.lcores[i];
  }
  // Release: a reader that acquires a non-zero magic sees everything written above.
  h->magic.store(kStatsMagic, std::memory_order_release);
  return w;
}

namespace {

std::string check_layout(const StatsLayout& layout) {
  if (layout.counters.size() > kMaxStatsCounters) return "too many counters";
  if (layout.lcores.empty() || layout.lcores.size() > kMaxStatsLcores) return "lcore count outside 1.." + std::to_string(kMaxStatsLcores);
  if (layout.pools.size() > kMaxStatsPools) return "too many pools";
  for (const auto& c : layout.counters) {
    if (c.name.empty() || c.name.size() >= kCounterNameBytes) return "counter name '" + c.name + "' empty or too long";
    if (c.description.size() >= kCounterDescriptionBytes) return "description of counter '" + c.name + "' too long";
  }
  for (const auto& p : layout.pools) {
    if (p.length > 32) return "pool prefix length over 32";
  }
  return {};
}

// The name exists: remove it if what it holds is stale (its dataplane is gone, or it was never
// finished); refuse if its dataplane is alive or it is not ours. "Alive" needs both the pid and
// a heartbeat younger than kStaleHeartbeatMs: a pid alone may have been reused since a kill -9.
Expected<void, std::string> replace_stale(const std::string& name) {
  {
    FdGuard fd{::shm_open(name.c_str(), O_RDONLY, 0)};
    if (fd.fd < 0) return unexpected(errno_text("shm_open(stale check)", name));
    struct stat st{};
    if (::fstat(fd.fd, &st) != 0) return unexpected(errno_text("fstat", name));
    if (static_cast<std::uint64_t>(st.st_size) >= sizeof(StatsHeader)) {
      void* base = ::mmap(nullptr, sizeof(StatsHeader), PROT_READ, MAP_SHARED, fd.fd, 0);
      if (base == map_failed()) return unexpected(errno_text("mmap", name));
      const auto* h = static_cast<const StatsHeader*>(base);
      const std::uint64_t magic = h->magic.load(std::memory_order_acquire);
      const std::int64_t pid = h->pid;
      const std::uint64_t heartbeat = h->heartbeat_ms.load(std::memory_order_relaxed);
      ::munmap(base, sizeof(StatsHeader));
      if (magic != 0 && magic != kStatsMagic) {
        return unexpected("stats segment '" + name + "' exists and is not a dstm stats segment; not touching it");
      }
      const std::uint64_t now = monotonic_ms();
      const bool beating = heartbeat + kStaleHeartbeatMs > now;
      if (magic == kStatsMagic && pid != ::getpid() && process_alive(pid) && beating) {
        return unexpected("stats segment '" + name + "' belongs to a running dataplane (pid " + std::to_string(pid) +
                          "): two dataplanes on one control.shm?");
      }
    }
  }
  if (::shm_unlink(name.c_str()) != 0 && errno != ENOENT) return unexpected(errno_text("shm_unlink(stale)", name));
  return {};
}

}  // namespace

Expected<StatsWriter, std::string> StatsWriter::create(std::string_view name_view, const StatsLayout& layout) {
  const std::string name(name_view);
  if (auto why = check_layout(layout); !why.empty()) return unexpected("stats segment '" + name + "': " + why);
  const Offsets o = offsets_for(layout.counters.size(), layout.lcores.size(), layout.pools.size());
  // Readers may be another user (dstmctl): read-only for them, counters are not secret.
  int raw = ::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0644);
  if (raw < 0 && errno == EEXIST) {
    if (auto r = replace_stale(name); !r) return unexpected(r.error());
    raw = ::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0644);
  }
  FdGuard fd{raw};
  if (fd.fd < 0) return unexpected(errno_text("shm_open(create)", name));
  if (::ftruncate(fd.fd, static_cast<off_t>(o.total)) != 0) {
    ::shm_unlink(name.c_str());
    return unexpected(errno_text("ftruncate", name));
  }
  void* base = ::mmap(nullptr, o.total, PROT_READ | PROT_WRITE, MAP_SHARED, fd.fd, 0);
  if (base == map_failed()) {
    ::shm_unlink(name.c_str());
    return unexpected(errno_text("mmap", name));
  }
  return build(base, o.total, name, layout);
}

Expected<StatsWriter, std::string> StatsWriter::create_private(const StatsLayout& layout) {
  if (auto why = check_layout(layout); !why.empty()) return unexpected("stats: " + why);
  const Offsets o = offsets_for(layout.counters.size(), layout.lcores.size(), layout.pools.size());
  void* base = ::mmap(nullptr, o.total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == map_failed()) return unexpected(std::string("stats: mmap: ") + std::strerror(errno));
  return build(base, o.total, std::string(), layout);
}

StatsWriter::StatsWriter(StatsWriter&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)), bytes_(std::exchange(other.bytes_, 0)), name_(std::move(other.name_)) {
  other.name_.clear();
}

StatsWriter& StatsWriter::operator=(StatsWriter&& other) noexcept {
  if (this != &other) {
    close();
    base_ = std::exchange(other.base_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
    name_ = std::move(other.name_);
    other.name_.clear();
  }
  return *this;
}

StatsWriter::~StatsWriter() { close(); }

void StatsWriter::close() {
  if (base_ == nullptr) return;
  ::munmap(base_, bytes_);
  base_ = nullptr;
  if (!name_.empty()) ::shm_unlink(name_.c_str());
}

LcoreWords StatsWriter::lcore(std::uint32_t index) {
  const StatsHeader& h = header();
  if (index >= h.lcore_count) return {};
  auto* block = static_cast<unsigned char*>(base_) + h.blocks_offset + std::uint64_t{index} * h.block_bytes;
  auto* lh = reinterpret_cast<StatsLcoreHeader*>(block);
  auto* words = reinterpret_cast<std::uint64_t*>(block + sizeof(StatsLcoreHeader));
  return LcoreWords{&lh->rx_packets, &lh->tx_packets, words, words + h.counter_count};
}

// ---- StatsReader -------------------------------------------------------------------------------

Expected<StatsReader, std::string> StatsReader::attach(std::string_view name_view) {
  const std::string name(name_view);
  FdGuard fd{::shm_open(name.c_str(), O_RDONLY, 0)};
  if (fd.fd < 0) return unexpected(errno_text("shm_open(attach)", name) + " (is dstm-dataplane running?)");
  struct stat st{};
  if (::fstat(fd.fd, &st) != 0) return unexpected(errno_text("fstat", name));
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size < sizeof(StatsHeader)) {
    return unexpected("stats segment '" + name + "': " + std::to_string(size) + " bytes, too small (not ready, or not ours)");
  }
  const void* base = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd.fd, 0);
  if (base == map_failed()) return unexpected(errno_text("mmap", name));
  StatsReader r(base, size, name, static_cast<std::uint64_t>(st.st_ino));
  if (auto why = validate(r.header(), size, name); !why.empty()) return unexpected(why);
  const StatsHeader& h = r.header();
  const auto* at = static_cast<const unsigned char*>(base);
  const auto* names = reinterpret_cast<const StatsCounterName*>(at + h.names_offset);
  for (std::uint32_t i = 0; i < h.counter_count; ++i) {
    if (!fits(names[i].name, kCounterNameBytes) || !fits(names[i].description, kCounterDescriptionBytes)) {
      return unexpected("stats segment '" + name + "': counter name " + std::to_string(i) + " not terminated");
    }
    r.counters_.push_back({names[i].name, names[i].description});
  }
  const auto* pools = reinterpret_cast<const StatsPool*>(at + h.pools_offset);
  for (std::uint32_t i = 0; i < h.pool_count; ++i) r.pools_.push_back({pools[i].network, pools[i].length});
  return r;
}

StatsReader::StatsReader(StatsReader&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)),
      bytes_(std::exchange(other.bytes_, 0)),
      name_(std::move(other.name_)),
      inode_(other.inode_),
      counters_(std::move(other.counters_)),
      pools_(std::move(other.pools_)) {}

StatsReader& StatsReader::operator=(StatsReader&& other) noexcept {
  if (this != &other) {
    if (base_ != nullptr) ::munmap(const_cast<void*>(base_), bytes_);
    base_ = std::exchange(other.base_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
    name_ = std::move(other.name_);
    inode_ = other.inode_;
    counters_ = std::move(other.counters_);
    pools_ = std::move(other.pools_);
  }
  return *this;
}

StatsReader::~StatsReader() {
  if (base_ != nullptr) ::munmap(const_cast<void*>(base_), bytes_);
}

StatsSnapshot StatsReader::snapshot() const {
  const StatsHeader& h = header();
  StatsSnapshot s;
  s.taken_monotonic_ms = monotonic_ms();
  s.pid = h.pid;
  s.start_unix_ms = h.start_unix_ms;
  s.start_monotonic_ms = h.start_monotonic_ms;
  s.mapping_capacity = h.mapping_capacity;
  s.dataplane_generation = h.dataplane_generation.load(std::memory_order_relaxed);
  s.heartbeat_ms = h.heartbeat_ms.load(std::memory_order_relaxed);
  s.mappings = h.mappings.load(std::memory_order_relaxed);
  s.last_applied_sequence = h.last_applied_sequence.load(std::memory_order_relaxed);
  const std::uint32_t n = h.counter_count;
  s.packets.assign(n, 0);
  s.bytes.assign(n, 0);
  const auto* at = static_cast<const unsigned char*>(base_);
  for (std::uint32_t l = 0; l < h.lcore_count; ++l) {
    const unsigned char* block = at + h.blocks_offset + std::uint64_t{l} * h.block_bytes;
    const auto* lh = reinterpret_cast<const StatsLcoreHeader*>(block);
    const auto* words = reinterpret_cast<const std::uint64_t*>(block + sizeof(StatsLcoreHeader));
    LcoreSnapshot ls;
    ls.lcore_id = lh->lcore_id;
    ls.rx_packets = load_word(lh->rx_packets);
    ls.tx_packets = load_word(lh->tx_packets);
    ls.packets.resize(n);
    ls.bytes.resize(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      ls.packets[i] = load_word(words[i]);
      ls.bytes[i] = load_word(words[n + i]);
      s.packets[i] += ls.packets[i];
      s.bytes[i] += ls.bytes[i];
    }
    s.rx_packets += ls.rx_packets;
    s.tx_packets += ls.tx_packets;
    s.lcores.push_back(std::move(ls));
  }
  return s;
}

bool StatsReader::replaced() const {
  FdGuard fd{::shm_open(name_.c_str(), O_RDONLY, 0)};
  if (fd.fd < 0) return true;
  struct stat st{};
  return ::fstat(fd.fd, &st) != 0 || static_cast<std::uint64_t>(st.st_ino) != inode_;
}

}  // namespace dstm::shmring

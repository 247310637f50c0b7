#include "ring_feed.h"

#include <cstring>

namespace dstm::agent {

RingFeed::RingFeed(shmring::Segment segment) : segment_(std::move(segment)), producer_(segment_) {}

Expected<std::unique_ptr<RingFeed>, std::string> RingFeed::open(const std::string& name,
                                                                std::uint32_t capacity) {
  auto segment = shmring::Segment::attach(name);
  if (!segment) {
    auto created = shmring::Segment::create(name, capacity);
    if (!created) {
      return unexpected("shared memory '" + name + "': attach failed (" + segment.error() +
                        "), create failed (" + created.error() + ")");
    }
    segment = std::move(created);
  }
  // The Producer keeps a pointer to the Segment, so both live in one heap object that never moves.
  return std::unique_ptr<RingFeed>(new RingFeed(std::move(*segment)));
}

std::uint64_t RingFeed::enqueue(const shmring::Record& r) {
  pending_.push_back(r);
  return last_enqueued();
}

std::uint64_t RingFeed::enqueue_upsert(const Mapping& m) {
  shmring::Record r;
  r.kind = shmring::Kind::kUpsert;
  r.ipv4 = m.ipv4.to_host();
  std::memcpy(r.ipv6.data(), m.ipv6.bytes().data(), 16);
  return enqueue(r);
}

std::uint64_t RingFeed::enqueue_erase(net::Ipv4Address ipv4) {
  shmring::Record r;
  r.kind = shmring::Kind::kErase;
  r.ipv4 = ipv4.to_host();
  return enqueue(r);
}

std::uint64_t RingFeed::enqueue_snapshot(const MappingSet& set) {
  pending_.clear();
  shmring::Record begin;
  begin.kind = shmring::Kind::kSnapshotBegin;
  enqueue(begin);
  for (const auto& [key, m] : set.all()) enqueue_upsert(m);
  shmring::Record end;
  end.kind = shmring::Kind::kSnapshotEnd;
  snapshot_end_ = enqueue(end);
  ++epoch_;
  return snapshot_end_;
}

std::size_t RingFeed::pump() {
  std::size_t pushed = 0;
  while (!pending_.empty() && producer_.try_push(pending_.front())) {
    pending_.pop_front();
    ++pushed;
  }
  return pushed;
}

std::optional<std::uint64_t> RingFeed::dataplane_heartbeat_age_ms() const {
  const std::uint64_t beat = producer_.dataplane_heartbeat();
  if (beat == 0) return std::nullopt;
  const std::uint64_t now = shmring::monotonic_ms();
  return now > beat ? now - beat : 0;
}

}  // namespace dstm::agent

// Bounded reassembly of outer IPv6 fragments. See reassembly.h.
#include "packet/reassembly.h"

#include <algorithm>
#include <cstring>

#include "net/net.h"
#include "packet/decap_exthdr.h"

namespace dstm::dp {
namespace {

constexpr std::uint32_t kIpv6HeaderBytes = net::Ipv6Header::kSize;
constexpr std::uint32_t kFragmentHeaderBytes = 8;  // RFC 8200 §4.5
constexpr std::uint32_t kPayloadLengthField = 4;   // in the fixed IPv6 header
constexpr std::uint32_t kFragmentOffsetField = 2;  // in the Fragment header
constexpr std::uint32_t kMaxPayloadLength = 65535;
constexpr std::uint16_t kFragmentOffsetMask = 0xFFF8;  // 13 bits of 8-octet units, in place
constexpr std::uint16_t kMoreFragments = 1;

// ICMPv6 Parameter Problem codes, RFC 4443 §3.4 and RFC 7112 §5.
constexpr std::uint8_t kCodeErroneousField = 0;
constexpr std::uint8_t kCodeIncompleteChain = 3;

// RFC 7112 §5: the first fragment must hold the whole header chain; for us that means every
// extension header after the Fragment header and then the inner IPv4 header (its fixed 20
// bytes). `next` names what follows the Fragment header, which ends at `off`. Another upper
// layer is left to the decap stage, which refuses it after reassembly as it would unfragmented.
bool chain_complete(std::span<const std::uint8_t> packet, std::uint8_t next, std::uint32_t off) {
  const auto size = static_cast<std::uint32_t>(packet.size());
  for (unsigned count = 0; count <= kMaxExtensionHeaders; ++count) {
    switch (next) {
      case net::kProtoIpv4InIpv6:
        return off + net::Ipv4Header::kSize <= size;
      case net::kProtoHopByHop:
      case net::kProtoIpv6Opts:
      case net::kProtoIpv6Route:
      case net::kProtoIpv6Frag: {
        if (off + 2 > size) return false;
        const std::uint32_t length =
            next == net::kProtoIpv6Frag ? kFragmentHeaderBytes : (packet[off + 1] + 1u) * 8u;
        if (off + length > size) return false;
        next = packet[off];
        off += length;
        break;
      }
      default:
        return true;
    }
  }
  return true;  // longer than the decap stage accepts: it refuses the chain after reassembly
}

std::uint64_t mix(std::uint64_t h) {  // the 64-bit finaliser of MurmurHash3
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

}  // namespace

Reassembler::Reassembler(const TepContext& tep, const ReassemblyLimits& limits)
    : tep_(&tep), limits_(limits) {
  limits_.capacity = std::clamp<std::uint32_t>(limits_.capacity, 1, kMaxReassemblyCapacity);
  limits_.max_fragments = std::max(limits_.max_fragments, kMaxFragmentsPerDatagram);
  slots_.resize(limits_.capacity);
  for (std::uint32_t i = 0; i < limits_.capacity; ++i) {
    slots_[i].hash_next = i + 1 < limits_.capacity ? i + 1 : kNone;
  }
  free_ = 0;
  std::uint32_t buckets = 1;
  while (buckets < limits_.capacity) buckets <<= 1;
  buckets_.assign(buckets, kNone);
  bucket_mask_ = buckets - 1;
}

std::uint32_t Reassembler::bucket_of(const Key& key) const {
  std::uint64_t h = limits_.seed;
  for (std::size_t i = 0; i < key.size(); i += 4) {
    std::uint32_t word;
    std::memcpy(&word, &key[i], sizeof word);
    h = mix(h ^ word);
  }
  return static_cast<std::uint32_t>(h) & bucket_mask_;
}

void Reassembler::refuse(const FragmentIn& f, const Verdict& v,
                         std::span<const std::uint8_t> packet, ReassemblySink& sink) {
  if (v.icmp != IcmpError::kNone) sink.send_icmp(v, packet);
  sink.count(v.counter, f.pkt.len);
  sink.release(f.handle);
}

void Reassembler::offer(const FragmentIn& f, std::uint64_t now, ReassemblySink& sink) {
  const std::uint32_t fh = f.fragment_header;
  // decap_parse() checked all this; a caller that did not gets a drop, never a wild read.
  if (f.pkt.len < kIpv6HeaderBytes || fh < kIpv6HeaderBytes || f.fragment_next_field >= fh) {
    return refuse(f, drop(Counter::kDropIpv6FragInvalid), {}, sink);
  }
  const std::uint32_t length_field = net::load_be16(f.pkt.data + kPayloadLengthField);
  if (kIpv6HeaderBytes + length_field > f.pkt.len ||
      fh + kFragmentHeaderBytes > kIpv6HeaderBytes + length_field) {
    return refuse(f, drop(Counter::kDropIpv6FragInvalid), {}, sink);
  }
  const auto packet = f.pkt.bytes().first(kIpv6HeaderBytes + length_field);  // no L2 padding
  const std::uint16_t word = net::load_be16(&packet[fh + 2]);
  const std::uint32_t offset = word & kFragmentOffsetMask;
  const bool more = (word & kMoreFragments) != 0;
  const std::uint32_t data_start = fh + kFragmentHeaderBytes;
  const auto length = static_cast<std::uint32_t>(packet.size()) - data_start;

  // RFC 8200 §4.5: every fragment but the last carries a multiple of 8 octets; else
  // Parameter Problem code 0 pointing at the Payload Length. An empty fragment adds nothing
  // but a slot: refused silently.
  if (more && length % 8 != 0) {
    return refuse(f,
                  v6_parameter_problem(*tep_, Counter::kDropIpv6FragInvalid, kCodeErroneousField,
                                       kPayloadLengthField),
                  packet, sink);
  }
  if (length == 0) return refuse(f, drop(Counter::kDropIpv6FragInvalid), packet, sink);
  // RFC 8200 §4.5: a fragment that would make the reassembled payload exceed 65535 octets:
  // code 0 pointing at the Fragment Offset. (The unfragmentable part counts: fh - 40.)
  if (fh - kIpv6HeaderBytes + offset + length > kMaxPayloadLength) {
    return refuse(f,
                  v6_parameter_problem(*tep_, Counter::kDropIpv6FragInvalid, kCodeErroneousField,
                                       fh + kFragmentOffsetField),
                  packet, sink);
  }
  // RFC 7112 §5: fragment 0 without the whole chain: code 3. The pointer is 0, as Linux sends
  // it (the RFC names no field: the chain as a whole is the problem).
  if (offset == 0 && !chain_complete(packet, packet[fh], data_start)) {
    return refuse(
        f, v6_parameter_problem(*tep_, Counter::kDropIpv6FragInvalid, kCodeIncompleteChain, 0),
        packet, sink);
  }

  // RFC 8200 §4.5: fragments belong together when source, destination and identification
  // match.
  Key key;
  std::memcpy(key.data(), &packet[8], 32);
  std::memcpy(key.data() + 32, &packet[fh + 4], 4);
  const std::uint32_t index = find_or_insert(key, now, sink);
  Datagram& d = slots_[index];
  if (d.poisoned != Counter::kCount) {  // discarded already: so are its late fragments
    sink.count(d.poisoned, f.pkt.len);
    return sink.release(f.handle);
  }

  const std::uint32_t end = offset + length;
  auto discard_with = [&](Counter c) {
    poison(index, c, sink);
    sink.count(c, f.pkt.len);
    sink.release(f.handle);
  };
  for (std::uint32_t i = 0; i < d.count; ++i) {
    const Piece& p = d.pieces[i];
    if (p.offset == offset && p.length == length) {  // RFC 5722 §4 allows exact duplicates
      // ... but not one that disagrees on being the last (the held one set the end iff so).
      const bool held_is_last = d.total != 0 && end == d.total;
      if (held_is_last == more) return discard_with(Counter::kDropIpv6FragInvalidReassembly);
      sink.count(Counter::kDropIpv6FragDuplicate, f.pkt.len);
      return sink.release(f.handle);
    }
  }
  for (std::uint32_t i = 0; i < d.count; ++i) {
    const Piece& p = d.pieces[i];
    // RFC 5722 §4 (RFC 8200 §4.5): any overlap discards the datagram, silently.
    if (offset < p.offset + p.length && p.offset < end) {
      return discard_with(Counter::kDropIpv6FragInvalidReassembly);
    }
    // Past the end the last fragment set: the lengths contradict each other.
    if (!more && p.offset + p.length > end) {
      return discard_with(Counter::kDropIpv6FragInvalidReassembly);
    }
  }
  if (d.total != 0 && (more ? end > d.total : end != d.total)) {
    return discard_with(Counter::kDropIpv6FragInvalidReassembly);
  }
  if (d.count == kMaxFragmentsPerDatagram) return discard_with(Counter::kDropIpv6FragTooMany);
  // Cannot fit one buffer even with no extension headers: no point in holding the rest.
  if (kIpv6HeaderBytes + end > limits_.max_packet) {
    return discard_with(Counter::kDropIpv6FragNoRoom);
  }

  // Every held fragment pins a buffer: past the budget, make room at the oldest datagram's
  // expense (never this one's: it holds at most 7 here, below the budget of at least 8).
  while (held_ >= limits_.max_fragments) {
    const std::uint32_t victim = oldest_ != index ? oldest_ : slots_[oldest_].newer;
    if (victim == kNone) break;
    discard(victim, Counter::kDropIpv6FragEvicted, sink);
  }
  d.pieces[d.count++] = Piece{f.handle, &packet[data_start], f.pkt.len, offset, length};
  ++held_;
  d.received += length;
  if (!more) d.total = end;
  if (offset == 0) {
    d.first_packet = packet.data();
    d.first_length = static_cast<std::uint32_t>(packet.size());
    d.first_fragment_header = fh;
    d.first_next_field = f.fragment_next_field;
  }
  // No overlaps, so the bytes held cover [0, total) exactly when they add up to it.
  if (d.total != 0 && d.received == d.total && d.first_packet != nullptr) complete(index, sink);
}

std::uint32_t Reassembler::find_or_insert(const Key& key, std::uint64_t now, ReassemblySink& sink) {
  const std::uint32_t bucket = bucket_of(key);
  for (std::uint32_t i = buckets_[bucket]; i != kNone; i = slots_[i].hash_next) {
    if (slots_[i].key == key) return i;
  }
  // Full: evict the oldest datagram. The alternative, refusing newcomers, would let anyone
  // who sends `capacity` lone fragments stop all reassembly for the whole timeout.
  if (free_ == kNone) discard(oldest_, Counter::kDropIpv6FragEvicted, sink);
  const std::uint32_t index = free_;
  Datagram& d = slots_[index];
  free_ = d.hash_next;
  d = Datagram{};
  d.key = key;
  d.deadline = now + limits_.timeout;
  d.bucket = bucket;
  d.hash_next = buckets_[bucket];
  buckets_[bucket] = index;
  d.older = newest_;
  if (newest_ != kNone) slots_[newest_].newer = index;
  newest_ = index;
  if (oldest_ == kNone) oldest_ = index;
  ++in_use_;
  return index;
}

void Reassembler::release_pieces(Datagram& d, Counter c, ReassemblySink& sink) {
  for (std::uint32_t i = 0; i < d.count; ++i) {
    sink.count(c, d.pieces[i].packet_bytes);
    sink.release(d.pieces[i].handle);
  }
  held_ -= d.count;
  d.count = 0;
}

void Reassembler::poison(std::uint32_t index, Counter c, ReassemblySink& sink) {
  // RFC 5722 §4: the datagram "and any constituent fragments, including those not yet
  // received" are discarded. Its fragments go now; the slot stays until the timeout to catch
  // the late ones (freed, counted in `c`), with no ICMP then: fragment 0 is forgotten.
  Datagram& d = slots_[index];
  release_pieces(d, c, sink);
  d.poisoned = c;
  d.first_packet = nullptr;
}

void Reassembler::discard(std::uint32_t index, Counter c, ReassemblySink& sink) {
  Datagram& d = slots_[index];
  release_pieces(d, c, sink);
  std::uint32_t* link = &buckets_[d.bucket];
  while (*link != index) link = &slots_[*link].hash_next;
  *link = d.hash_next;
  (d.older != kNone ? slots_[d.older].newer : oldest_) = d.newer;
  (d.newer != kNone ? slots_[d.newer].older : newest_) = d.older;
  d.hash_next = free_;
  free_ = index;
  --in_use_;
}

void Reassembler::complete(std::uint32_t index, ReassemblySink& sink) {
  Datagram& d = slots_[index];
  // Fragment 0's unfragmentable part (RFC 8200 §4.5: the other fragments' is dropped), then
  // the fragmentable parts at their offsets.
  const std::uint32_t unfragmentable = d.first_fragment_header;
  const std::uint32_t size = unfragmentable + d.total;
  PacketBuf out;
  void* handle = size <= limits_.max_packet ? sink.allocate(out) : nullptr;
  if (handle != nullptr && out.append(size) == nullptr) {
    sink.release(handle);
    handle = nullptr;
  }
  if (handle == nullptr) return discard(index, Counter::kDropIpv6FragNoRoom, sink);

  std::memcpy(out.data, d.first_packet, unfragmentable);
  out.data[d.first_next_field] = d.first_packet[d.first_fragment_header];
  net::store_be16(out.data + kPayloadLengthField,
                  static_cast<std::uint16_t>(size - kIpv6HeaderBytes));
  for (std::uint32_t i = 0; i < d.count; ++i) {
    const Piece& p = d.pieces[i];
    std::memcpy(out.data + unfragmentable + p.offset, p.data, p.length);
  }
  sink.count(Counter::kInIpv6FragReassembled, size);
  for (std::uint32_t i = 0; i < d.count; ++i) sink.release(d.pieces[i].handle);
  held_ -= d.count;
  d.count = 0;
  discard(index, Counter::kInIpv6FragReassembled, sink);  // frees the slot; nothing left to count
  sink.deliver(handle, out);
}

void Reassembler::reap(std::uint64_t now, ReassemblySink& sink) {
  while (oldest_ != kNone && slots_[oldest_].deadline <= now) {
    const Datagram& d = slots_[oldest_];
    // RFC 8200 §4.5: Time Exceeded code 1 to the source, only if fragment 0 arrived.
    if (d.first_packet != nullptr && tep_->icmp.reassembly_time_exceeded) {
      Verdict v = drop(Counter::kDropIpv6FragTimeout);
      v.icmp = IcmpError::kV6ReassemblyTimeExceeded;
      sink.send_icmp(v, {d.first_packet, d.first_length});
    }
    discard(oldest_, Counter::kDropIpv6FragTimeout, sink);
  }
}

void Reassembler::clear(ReassemblySink& sink) {
  while (oldest_ != kNone) discard(oldest_, Counter::kDropIpv6FragTimeout, sink);
}

}  // namespace dstm::dp

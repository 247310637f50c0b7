// Bounded reassembly of outer IPv6 fragments (RFC 8200 §4.5, TEP-BEHAVIOUR.md cases 21-28).
//
// One Reassembler per worker lcore: no sharing, no locks, every table allocated by the
// constructor (nothing allocated per packet). DPDK's rte_ip_frag is not used: 22.11 keeps
// overlapping fragments (RFC 5722 says discard), reassembles corrupted when extension headers
// precede the Fragment header, and truncates above 65535 bytes (TEP-BEHAVIOUR.md).
//
// Bounds: `capacity` datagrams held at once (full: the oldest is evicted), at most
// kMaxFragmentsPerDatagram fragments each (a 9th discards the datagram), `max_fragments` in
// all (reached: the oldest other datagram is evicted), `timeout` from the
// first fragment's arrival (RFC 8200 §4.5: 60 s), and a reassembled packet must fit one buffer
// (`max_packet`): the result is one contiguous packet that the decap stage runs on unchanged.
//
// No DPDK: fragments are opaque handles (an rte_mbuf* in the glue) plus a PacketBuf view of
// their bytes, which must stay valid and unchanged until the sink releases the handle. What
// the reassembler decides reaches the caller through a ReassemblySink.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "packet/packet_buf.h"
#include "packet/tep_context.h"
#include "packet/verdict.h"

namespace dstm::dp {

inline constexpr unsigned kMaxFragmentsPerDatagram = 8;
inline constexpr std::uint32_t kMaxReassemblyCapacity = 65536;

struct ReassemblyLimits {
  std::uint32_t capacity = 1024;    // datagrams held at once, 1..kMaxReassemblyCapacity
  std::uint64_t timeout = 0;        // in the units of the `now` given to offer()/reap()
  std::uint32_t max_packet = 2048;  // largest reassembled packet, outer IPv6 header included
  // Fragments held at once, all datagrams together (each holds a buffer: in the dataplane an
  // mbuf that RX needs too). Reaching it evicts the oldest other datagram. At least 8.
  std::uint32_t max_fragments = 8 * 1024;
  std::uint64_t seed = 0;  // hash seed (the glue draws it at random: no chosen collisions)
};

// What the reassembler asks of its owner: the DPDK glue (mbufs, counters, rate-limited ICMP)
// in the dataplane, plain vectors in the unit tests.
class ReassemblySink {
 public:
  // Counts one packet of `bytes` in `c`.
  virtual void count(Counter c, std::uint32_t bytes) = 0;
  // The ICMP error `v` about `offending` (a fragment still held). Rate limit is the sink's.
  virtual void send_icmp(const Verdict& v, std::span<const std::uint8_t> offending) = 0;
  // Frees a handle given to offer() or returned by allocate().
  virtual void release(void* handle) = 0;
  // An empty buffer (len 0) for a reassembled packet, or nullptr when there is none.
  virtual void* allocate(PacketBuf& out) = 0;
  // A reassembled packet (in a buffer from allocate()) for the decap stage. Its bytes are those
  // of an unfragmented packet: fragment 0's headers before the Fragment header, the next
  // header taken from the Fragment header, the payload length fixed.
  virtual void deliver(void* handle, const PacketBuf& pkt) = 0;

 protected:
  ~ReassemblySink() = default;
};

// One fragment, as decap_parse() found it (DecapParse::fragment_header != 0): the outer IPv6
// packet (header first; bytes past 40 + payload length are ignored), the chain in front of its
// Fragment header already walked and accepted.
struct FragmentIn {
  void* handle = nullptr;
  PacketBuf pkt;
  std::uint32_t fragment_header = 0;      // offset of the Fragment header
  std::uint32_t fragment_next_field = 0;  // offset of the next-header field that names it
};

class Reassembler {
 public:
  Reassembler(const TepContext& tep, const ReassemblyLimits& limits);
  Reassembler(const Reassembler&) = delete;
  Reassembler& operator=(const Reassembler&) = delete;

  // Takes ownership of the fragment: the sink releases it now (refused, duplicate, discarded
  // datagram) or later (reassembled, timed out, evicted, clear()). Rules, in order:
  //  - M=1 with a length that is not a multiple of 8 (or an empty fragment): refused,
  //    ICMPv6 4/0 at the Payload Length (RFC 8200 §4.5);
  //  - reassembled payload length beyond 65535: refused, 4/0 at the Fragment Offset (§4.5);
  //  - fragment 0 without the whole header chain and 20 bytes of IPv4: refused, 4/3 (RFC 7112);
  //  - an exact duplicate (same offset and length) of a held fragment: freed, tolerated;
  //  - overlap, or lengths that disagree with the last fragment's end: the whole datagram is
  //    discarded, no ICMP (RFC 5722);
  //  - a 9th fragment, or a datagram that cannot fit max_packet: the datagram is discarded.
  // A discarded datagram's key is remembered until its timeout, so that its late fragments
  // are dropped too (RFC 5722 §4) instead of starting a new datagram.
  void offer(const FragmentIn& f, std::uint64_t now, ReassemblySink& sink);

  // Discards every datagram older than the timeout, with ICMPv6 3/1 quoting fragment 0 when it
  // arrived (RFC 8200 §4.5). Cheap when nothing is due: looks at the oldest datagram only.
  void reap(std::uint64_t now, ReassemblySink& sink);

  // Frees everything (at exit): counted as timed out, no ICMP.
  void clear(ReassemblySink& sink);

  std::size_t size() const { return in_use_; }  // datagrams
  std::size_t fragments() const { return held_; }
  bool empty() const { return in_use_ == 0; }

 private:
  static constexpr std::uint32_t kNone = 0xFFFFFFFF;
  using Key = std::array<std::uint8_t, 36>;  // outer source, destination, identification

  struct Piece {
    void* handle;
    const std::uint8_t* data;    // its fragmentable bytes
    std::uint32_t packet_bytes;  // the whole fragment, for the counters
    std::uint32_t offset;
    std::uint32_t length;
  };
  struct Datagram {
    Key key{};
    std::uint64_t deadline = 0;
    std::uint32_t bucket = 0;
    std::uint32_t hash_next = kNone;  // bucket chain; the free list when unused
    std::uint32_t older = kNone;      // age list (creation order = expiry order)
    std::uint32_t newer = kNone;
    std::uint32_t total = 0;     // end of the last fragment (M=0); 0 until it arrived
    std::uint32_t received = 0;  // fragmentable bytes held
    std::uint32_t count = 0;
    const std::uint8_t* first_packet = nullptr;  // fragment 0, once it arrived
    std::uint32_t first_length = 0;              // its 40 + payload length
    std::uint32_t first_fragment_header = 0;
    std::uint32_t first_next_field = 0;
    Counter poisoned = Counter::kCount;  // discarded (overlap, too many, no room): late
                                         // fragments are dropped into this counter
    std::array<Piece, kMaxFragmentsPerDatagram> pieces{};
  };

  void refuse(const FragmentIn& f, const Verdict& v, std::span<const std::uint8_t> packet,
              ReassemblySink& sink);
  std::uint32_t find_or_insert(const Key& key, std::uint64_t now, ReassemblySink& sink);
  void release_pieces(Datagram& d, Counter c, ReassemblySink& sink);
  void poison(std::uint32_t index, Counter c, ReassemblySink& sink);
  void discard(std::uint32_t index, Counter c, ReassemblySink& sink);
  void complete(std::uint32_t index, ReassemblySink& sink);
  std::uint32_t bucket_of(const Key& key) const;

  const TepContext* tep_;
  ReassemblyLimits limits_;
  std::vector<Datagram> slots_;
  std::vector<std::uint32_t> buckets_;
  std::uint32_t bucket_mask_ = 0;
  std::uint32_t free_ = kNone;
  std::uint32_t oldest_ = kNone;
  std::uint32_t newest_ = kNone;
  std::size_t in_use_ = 0;
  std::size_t held_ = 0;
};

}  // namespace dstm::dp

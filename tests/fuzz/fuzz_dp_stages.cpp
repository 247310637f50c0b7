// The dataplane's packet stages on arbitrary bytes: decap (as an outer IPv6 packet) and encap
// (as an IPv4 packet), each with and without a binding, plus the ICMP builders on whatever the
// stages ask for; the same bytes as ARP / ND from a gateway (packet/next_hop.h) and as an
// ICMPv6 Packet Too Big (packet/ptb.h). ASan checks every read and write stays inside the
// buffer and its headroom.
//
// Then the reassembly table: the input split at every "FRAG" marker is a sequence of frames
// (one clock tick apart; the timeout is 3 ticks) sent through decap_parse() and, when they are
// fragments, into a small Reassembler; reassembled packets are decapsulated. Every buffer is
// tracked like an mbuf: releasing one twice or one never handed over, or any left at the end
// (after clear()), aborts.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <vector>

#include "packet/decap.h"
#include "packet/encap.h"
#include "packet/icmp.h"
#include "packet/next_hop.h"
#include "packet/ptb.h"
#include "packet/reassembly.h"

using namespace dstm;
using namespace dstm::dp;

namespace {

const TepContext& tep() {
  static const TepContext t = [] {
    TepContext c;
    c.tep_ipv6 = {*net::Ipv6Address::parse("2001:db8:1::1")};
    c.tep_ipv4 = *net::Ipv4Address::parse("198.51.100.1");
    c.pools = {*net::Ipv4Prefix::parse("192.0.2.0/24")};
    c.icmp.source_unreachable = true;
    return c;
  }();
  return t;
}

// A packet with 128 bytes of headroom, like an mbuf: exactly `size` bytes of data after it.
struct Buffer {
  std::vector<std::uint8_t> storage;
  PacketBuf view;
  Buffer(const std::uint8_t* data, std::size_t size) : storage(128 + size) {
    if (size) std::memcpy(storage.data() + 128, data, size);
    view = PacketBuf{storage.data() + 128, static_cast<std::uint32_t>(size), 128, 0};
  }
};

void icmp_for(const Verdict& v, const PacketBuf& offending) {
  if (v.icmp == IcmpError::kNone) return;
  std::vector<std::uint8_t> out(2048);
  PacketBuf o{out.data() + 128, 0, 128, static_cast<std::uint32_t>(out.size() - 128)};
  if (is_icmpv6(v.icmp)) {
    build_icmpv6_error(tep(), v, offending.bytes(), o);
  } else {
    build_icmpv4_error(tep(), v, offending.bytes(), o);
  }
}

// A mempool stand-in: every buffer handed out or in is live until released exactly once.
class TrackingSink final : public ReassemblySink {
 public:
  Buffer* take(const std::uint8_t* data, std::size_t size) {
    auto* b = new Buffer(data, size);
    live_.insert(b);
    return b;
  }
  ~TrackingSink() {
    if (!live_.empty()) std::abort();  // an mbuf leaked
  }
  void count(Counter, std::uint32_t) override {}
  void send_icmp(const Verdict& v, std::span<const std::uint8_t> offending) override {
    Buffer copy(offending.data(), offending.size());
    icmp_for(v, copy.view);
  }
  void release(void* handle) override {
    auto* b = static_cast<Buffer*>(handle);
    if (live_.erase(b) != 1) std::abort();  // double free, or a handle we never gave
    delete b;
  }
  void* allocate(PacketBuf& out) override {
    auto* b = new Buffer(nullptr, 0);
    b->storage.resize(128 + 2048);
    b->view = PacketBuf{b->storage.data() + 128, 0, 128, 2048};
    live_.insert(b);
    out = b->view;
    return b;
  }
  void deliver(void* handle, const PacketBuf& pkt) override {
    if (live_.count(static_cast<Buffer*>(handle)) != 1) std::abort();
    PacketBuf whole = pkt;
    const auto node = *net::Ipv6Address::parse("2001:db8:1::2");
    DecapParse parsed = decap_parse(tep(), whole);
    Verdict v = parsed.early ? *parsed.early : decap_finish(tep(), whole, parsed, &node);
    icmp_for(v, whole);
    release(handle);
  }

 private:
  std::set<Buffer*> live_;
};

void reassemble(const std::uint8_t* data, std::size_t size) {
  static const std::uint8_t kMarker[4] = {'F', 'R', 'A', 'G'};
  TrackingSink sink;
  ReassemblyLimits limits;
  limits.capacity = 4;
  limits.timeout = 3;
  limits.seed = 1;
  Reassembler table(tep(), limits);
  std::size_t start = 0;
  std::uint64_t now = 0;
  for (std::size_t i = 0; i <= size && now < 32; ++i) {
    const bool at_marker =
        i + sizeof kMarker <= size && std::memcmp(data + i, kMarker, sizeof kMarker) == 0;
    if (!at_marker && i != size) continue;
    Buffer* b = sink.take(data + start, i - start);
    const DecapParse parsed = decap_parse(tep(), b->view);
    if (parsed.fragment_header != 0) {
      table.offer(FragmentIn{b, b->view, parsed.fragment_header, parsed.fragment_next_field}, now,
                  sink);
    } else {
      sink.release(b);
    }
    table.reap(++now, sink);
    start = i + sizeof kMarker;
    i = start - 1;
  }
  table.clear(sink);
  if (!table.empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto node = *net::Ipv6Address::parse("2001:db8:1::2");
  for (const net::Ipv6Address* binding : {static_cast<const net::Ipv6Address*>(nullptr), &node}) {
    Buffer b(data, size);
    DecapParse parsed = decap_parse(tep(), b.view);
    Verdict v = parsed.early ? *parsed.early : decap_finish(tep(), b.view, parsed, binding);
    icmp_for(v, b.view);
    if (v.action == Action::kHairpin) {
      EncapParse e = encap_parse(tep(), b.view, true);
      if (!e.early) encap_finish(tep(), b.view, e, binding, true);
    }
    Buffer c(data, size);
    EncapParse e = encap_parse(tep(), c.view);
    Verdict ev = e.early && e.early->action != Action::kReplyLocal
                     ? *e.early
                     : encap_finish(tep(), c.view, e, binding);
    icmp_for(ev, c.view);
    Buffer d(data, size);
    if (is_packet_too_big(d.view)) {
      const PtbParse p = ptb_parse(tep(), d.view);
      const Verdict pv = ptb_finish(tep(), p, binding);
      if (pv.icmp != IcmpError::kNone) icmp_for(pv, PacketBuf{d.view.data + p.inner_offset, d.view.len - p.inner_offset, 0, 0});
    }
  }
  Buffer n(data, size);
  // Gateways taken from the input too, so that the fuzzer reaches the matching paths: the ARP
  // sender address, the NA target, the NS source.
  if (size >= 18) (void)hear_arp(n.view, net::Ipv4Address::from_bytes(data + 14));
  if (size >= 24) (void)hear_neighbour(n.view, net::Ipv6Address::from_bytes(data + 8));
  if (size >= 64) (void)hear_neighbour(n.view, net::Ipv6Address::from_bytes(data + 48));
  reassemble(data, size);
  return 0;
}

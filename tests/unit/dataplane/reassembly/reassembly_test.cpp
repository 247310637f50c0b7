// The outer IPv6 reassembly table (packet/reassembly.h; TEP-BEHAVIOUR.md cases 21-28, RFC 8200
// §4.5, RFC 5722, RFC 7112). Fragments go through decap_parse() first, as in the dataplane; a
// recording sink stands in for the mbufs, counters and ICMP, and checks that every handle is
// released exactly once.
#include "packet/reassembly.h"

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <set>

#include "../decap/decap_test_util.h"
#include "packet/icmp.h"

namespace dstm::dp::test {
namespace {

constexpr std::uint8_t kHbh = net::kProtoHopByHop;
constexpr std::uint8_t kOpts = net::kProtoIpv6Opts;
constexpr std::uint8_t kFrag = net::kProtoIpv6Frag;
constexpr std::uint8_t kV4 = net::kProtoIpv4InIpv6;
constexpr std::uint64_t kTimeout = 1000;

// A buffer shaped like a fresh mbuf: 128 bytes of headroom, then `room` bytes.
struct Buffer {
  Buffer(const Bytes& bytes, std::uint32_t room) : storage(128 + room) {
    std::copy(bytes.begin(), bytes.end(), storage.begin() + 128);
    buf = PacketBuf{storage.data() + 128, static_cast<std::uint32_t>(bytes.size()), 128,
                    room - static_cast<std::uint32_t>(bytes.size())};
  }
  Bytes storage;
  PacketBuf buf;
};

class RecordingSink final : public ReassemblySink {
 public:
  std::map<std::string, int> counts;
  std::vector<Verdict> icmp;
  std::vector<Bytes> quoted;
  std::vector<Bytes> delivered;
  bool allocation_fails = false;
  std::uint32_t room = 2048;

  Buffer* fragment(const Bytes& packet) {
    buffers_.push_back(std::make_unique<Buffer>(packet, static_cast<std::uint32_t>(packet.size())));
    live_.insert(buffers_.back().get());
    return buffers_.back().get();
  }
  std::size_t live() const { return live_.size(); }

  void count(Counter c, std::uint32_t) override { ++counts[std::string(info(c).name)]; }
  void send_icmp(const Verdict& v, std::span<const std::uint8_t> offending) override {
    icmp.push_back(v);
    quoted.emplace_back(offending.begin(), offending.end());
  }
  void release(void* handle) override {
    INFO("a handle released twice, or never handed over");
    CHECK(live_.erase(static_cast<Buffer*>(handle)) == 1);
  }
  void* allocate(PacketBuf& out) override {
    if (allocation_fails) return nullptr;
    buffers_.push_back(std::make_unique<Buffer>(Bytes{}, room));
    live_.insert(buffers_.back().get());
    out = buffers_.back()->buf;
    return buffers_.back().get();
  }
  void deliver(void* handle, const PacketBuf& pkt) override {
    delivered.emplace_back(pkt.data, pkt.data + pkt.len);
    release(handle);
  }

 private:
  std::vector<std::unique_ptr<Buffer>> buffers_;
  std::set<Buffer*> live_;
};

Bytes fragment_header_id(std::uint8_t next, std::uint32_t offset_bytes, bool more,
                         std::uint32_t id) {
  const auto word = static_cast<std::uint16_t>(offset_bytes | (more ? 1u : 0u));
  return {next,
          0,
          static_cast<std::uint8_t>(word >> 8),
          static_cast<std::uint8_t>(word),
          static_cast<std::uint8_t>(id >> 24),
          static_cast<std::uint8_t>(id >> 16),
          static_cast<std::uint8_t>(id >> 8),
          static_cast<std::uint8_t>(id)};
}

// The default inner packet: 20 + 100 bytes, so fragments of 64 and 56 (or 8 x 8 + 56...).
Inner big_inner() {
  Inner in;
  in.payload.assign(100, 0);
  for (std::size_t i = 0; i < in.payload.size(); ++i) in.payload[i] = static_cast<std::uint8_t>(i);
  return in;
}
Bytes inner_bytes() {
  return ipv4_packet(big_inner());
}

// One fragment of `whole` (the fragmentable part: IPv4 packet), bytes [offset, offset + length),
// with `per_fragment` extension headers (first named by `first`, the last naming 44) before
// the Fragment header.
struct Frag {
  std::uint32_t offset;
  std::uint32_t length;
  bool more;
  std::uint32_t id = 7;
  net::Ipv6Address src = kNode6;
};
Bytes make_fragment(const Bytes& whole, const Frag& f, std::uint8_t first = kFrag,
                    const Bytes& per_fragment = {}) {
  Outer o;
  o.src = f.src;
  o.next = first;
  o.ext = concat(per_fragment, fragment_header_id(kV4, f.offset, f.more, f.id));
  const auto begin =
      whole.begin() + static_cast<long>(std::min<std::size_t>(f.offset, whole.size()));
  const auto end =
      whole.begin() + static_cast<long>(std::min<std::size_t>(f.offset + f.length, whole.size()));
  return ipv6_packet(o, Bytes(begin, end));
}

struct Table {
  TepContext tep = make_tep();
  RecordingSink sink;
  std::unique_ptr<Reassembler> r;
  explicit Table(std::uint32_t capacity = 16, std::uint32_t max_packet = 2048) {
    ReassemblyLimits limits;
    limits.capacity = capacity;
    limits.timeout = kTimeout;
    limits.max_packet = max_packet;
    limits.seed = 12345;
    r = std::make_unique<Reassembler>(tep, limits);
  }
  // Through decap_parse() like the dataplane, then into the table.
  void offer(const Bytes& packet, std::uint64_t now = 0) {
    Buffer* b = sink.fragment(packet);
    const DecapParse parsed = decap_parse(tep, b->buf);
    REQUIRE(parsed.fragment_header != 0);
    r->offer(FragmentIn{b, b->buf, parsed.fragment_header, parsed.fragment_next_field}, now, sink);
  }
  // Nothing held, nothing leaked.
  void check_empty() {
    r->clear(sink);
    CHECK(r->empty());
    CHECK(sink.live() == 0);
  }
};

// The unfragmented packet the fragments came from, and its decapsulation.
void check_delivered_and_decapsulated(const Table& t, const Bytes& expected) {
  REQUIRE(t.sink.delivered.size() == 1);
  CHECK(t.sink.delivered[0] == expected);
  TestPacket pkt(t.sink.delivered[0]);
  check_forwarded(run(t.tep, pkt), pkt, forwarded(big_inner()));
}

TEST_CASE("case 21: two fragments reassemble once, in any order, duplicates tolerated",
          "[reassembly]") {
  const Bytes whole = inner_bytes();
  const Bytes a = make_fragment(whole, {0, 64, true});
  const Bytes b = make_fragment(whole, {64, 56, false});
  Table t;
  SECTION("in order") {
    t.offer(a);
    CHECK(t.sink.delivered.empty());
    CHECK(t.r->size() == 1);
    t.offer(b);
    CHECK(t.sink.counts == std::map<std::string, int>{{"in-ipv6-frag-reassembled", 1}});
  }
  SECTION("reversed") {
    t.offer(b);
    t.offer(a);
    CHECK(t.sink.counts == std::map<std::string, int>{{"in-ipv6-frag-reassembled", 1}});
  }
  SECTION("with an exact duplicate of the first") {
    t.offer(a);
    t.offer(a);
    CHECK(t.sink.live() == 1);  // the duplicate is freed at once
    t.offer(b);
    CHECK(t.sink.counts == std::map<std::string, int>{{"drop-ipv6-frag-duplicate", 1},
                                                      {"in-ipv6-frag-reassembled", 1}});
  }
  check_delivered_and_decapsulated(t, ipv6_packet(Outer{}, whole));
  CHECK(t.sink.icmp.empty());
  CHECK(t.r->empty());
  t.check_empty();
}

TEST_CASE("fragments of different datagrams are kept apart (source, destination, id)",
          "[reassembly]") {
  const Bytes whole = inner_bytes();
  Table t;
  t.offer(make_fragment(whole, {0, 64, true, 1}));
  t.offer(make_fragment(whole, {64, 56, false, 2}));               // other id
  t.offer(make_fragment(whole, {64, 56, false, 1, kOtherNode6}));  // other source
  CHECK(t.r->size() == 3);
  CHECK(t.sink.delivered.empty());
  t.offer(make_fragment(whole, {64, 56, false, 1}));
  CHECK(t.sink.delivered.size() == 1);
  CHECK(t.r->size() == 2);
  t.check_empty();
}

TEST_CASE("eight fragments are the most a datagram may have", "[reassembly]") {
  const Bytes whole = inner_bytes();  // 120 bytes: 24 (the IPv4 header must be in it), 6 x 8, 48
  Table t;
  t.offer(make_fragment(whole, {0, 24, true}));
  for (std::uint32_t i = 0; i < 6; ++i) t.offer(make_fragment(whole, {24 + i * 8, 8, true}));
  CHECK(t.sink.delivered.empty());
  t.offer(make_fragment(whole, {72, 48, false}));
  check_delivered_and_decapsulated(t, ipv6_packet(Outer{}, whole));
  t.check_empty();
}

TEST_CASE("case 22: overlapping fragments discard the whole datagram, silently", "[reassembly]") {
  const Bytes whole = inner_bytes();
  Table t;
  t.offer(make_fragment(whole, {0, 64, true}));
  t.offer(make_fragment(whole, {96, 24, false}));
  REQUIRE(t.r->size() == 1);
  Bytes second;
  SECTION("partial overlap") {
    second = make_fragment(whole, {56, 16, true});
  }
  SECTION("containment") {
    second = make_fragment(whole, {8, 16, true});
  }
  SECTION("same offset, different length") {
    second = make_fragment(whole, {0, 32, true});
  }
  t.offer(second, 10);
  CHECK(t.sink.counts == std::map<std::string, int>{{"drop-ipv6-frag-invalid-reassembly", 3}});
  CHECK(t.sink.icmp.empty());
  CHECK(t.sink.delivered.empty());
  CHECK(t.r->fragments() == 0);
  CHECK(t.sink.live() == 0);
  // RFC 5722 §4: the fragments not yet received are discarded too, even a complete set.
  t.offer(make_fragment(whole, {0, 64, true}), 20);
  t.offer(make_fragment(whole, {64, 56, false}), 30);
  CHECK(t.sink.delivered.empty());
  CHECK(t.sink.counts == std::map<std::string, int>{{"drop-ipv6-frag-invalid-reassembly", 5}});
  CHECK(t.sink.live() == 0);
  // Remembered until the timeout, then forgotten without ICMP (fragment 0 did arrive).
  t.r->reap(kTimeout, t.sink);
  CHECK(t.r->empty());
  CHECK(t.sink.icmp.empty());
  t.offer(make_fragment(whole, {0, 64, true}), kTimeout);
  t.offer(make_fragment(whole, {64, 56, false}), kTimeout);
  CHECK(t.sink.delivered.size() == 1);
  t.check_empty();
}

TEST_CASE("lengths that contradict the last fragment discard the datagram", "[reassembly]") {
  const Bytes whole = inner_bytes();
  Table t;
  SECTION("two different ends") {
    t.offer(make_fragment(whole, {64, 56, false}));
    t.offer(make_fragment(whole, {8, 8, false}));  // (offset 0 and M=0 would be atomic)
  }
  SECTION("a fragment past the end") {
    t.offer(make_fragment(whole, {8, 56, false}));
    t.offer(make_fragment(whole, {64, 56, true}));
  }
  SECTION("a \"duplicate\" of the last fragment with M=1") {
    t.offer(make_fragment(whole, {64, 56, false}));
    t.offer(make_fragment(whole, {64, 56, true}));
  }
  SECTION("a \"duplicate\" of a middle fragment with M=0") {
    t.offer(make_fragment(whole, {64, 56, true}));
    t.offer(make_fragment(whole, {64, 56, false}));
  }
  SECTION("a last fragment before one already held") {
    t.offer(make_fragment(whole, {64, 56, true}));
    t.offer(make_fragment(whole, {8, 56, false}));
  }
  CHECK(t.sink.counts == std::map<std::string, int>{{"drop-ipv6-frag-invalid-reassembly", 2}});
  CHECK(t.r->fragments() == 0);
  CHECK(t.sink.live() == 0);
  t.check_empty();
}

TEST_CASE("case 23: an incomplete datagram is reaped at the timeout", "[reassembly]") {
  const Bytes whole = inner_bytes();
  Table t;
  SECTION("fragment 0 arrived: ICMPv6 3/1 quoting it") {
    const Bytes first = make_fragment(whole, {0, 64, true});
    t.offer(first, 100);
    t.r->reap(100 + kTimeout - 1, t.sink);
    CHECK(t.r->size() == 1);  // not yet
    CHECK(t.sink.live() == 1);
    t.r->reap(100 + kTimeout, t.sink);
    REQUIRE(t.sink.icmp.size() == 1);
    CHECK(t.sink.icmp[0].icmp == IcmpError::kV6ReassemblyTimeExceeded);
    CHECK(t.sink.quoted[0] == first);
    // The builder makes it a Time Exceeded, code 1 (RFC 4443 §3.3), to the fragment's source.
    Buffer out(Bytes{}, 2048);
    REQUIRE(build_icmpv6_error(t.tep, t.sink.icmp[0], t.sink.quoted[0], out.buf));
    const auto ip = net::Ipv6Header::at(out.buf.bytes());
    CHECK(ip->dst() == kNode6);
    CHECK(out.buf.data[40] == 3);
    CHECK(out.buf.data[41] == 1);
    CHECK(t.sink.counts == std::map<std::string, int>{{"drop-ipv6-frag-timeout", 1}});
  }
  SECTION("the policy can silence it") {
    t.tep.icmp.reassembly_time_exceeded = false;
    t.offer(make_fragment(whole, {0, 64, true}), 100);
    t.r->reap(100 + kTimeout, t.sink);
    CHECK(t.sink.icmp.empty());
    CHECK(t.sink.counts == std::map<std::string, int>{{"drop-ipv6-frag-timeout", 1}});
  }
  SECTION("without fragment 0: no ICMP") {
    t.offer(make_fragment(whole, {64, 56, false}), 100);
    t.offer(make_fragment(whole, {8, 8, true}), 150);
    t.r->reap(100 + kTimeout, t.sink);  // the timeout runs from the first fragment
    CHECK(t.sink.icmp.empty());
    CHECK(t.sink.counts == std::map<std::string, int>{{"drop-ipv6-frag-timeout", 2}});
  }
  SECTION("only what is due: oldest first") {
    t.offer(make_fragment(whole, {64, 56, false, 1}), 100);
    t.offer(make_fragment(whole, {64, 56, false, 2}), 600);
    t.r->reap(100 + kTimeout, t.sink);
    CHECK(t.r->size() == 1);
    t.offer(make_fragment(whole, {0, 64, true, 2}), 700);  // still completes
    CHECK(t.sink.delivered.size() == 1);
  }
  CHECK(t.r->empty());
  CHECK(t.sink.live() == 0);
}

TEST_CASE("clear() frees everything without ICMP (dataplane exit)", "[reassembly]") {
  const Bytes whole = inner_bytes();
  Table t;
  t.offer(make_fragment(whole, {0, 64, true, 1}));
  t.offer(make_fragment(whole, {0, 64, true, 2}));
  t.offer(make_fragment(whole, {64, 56, false, 3}));
  t.r->clear(t.sink);
  CHECK(t.sink.icmp.empty());
  CHECK(t.sink.counts == std::map<std::string, int>{{"drop-ipv6-frag-timeout", 3}});
  CHECK(t.r->empty());
  CHECK(t.sink.live() == 0);
}

TEST_CASE("case 24: a 9th fragment discards the datagram", "[reassembly]") {
  Inner in = big_inner();
  in.payload.resize(132);  // 152 bytes: 24, 7 x 8, then 72
  const Bytes whole = ipv4_packet(in);
  Table t;
  t.offer(make_fragment(whole, {0, 24, true}));
  for (std::uint32_t i = 0; i < 7; ++i) t.offer(make_fragment(whole, {24 + i * 8, 8, true}));
  CHECK(t.sink.counts.empty());
  t.offer(make_fragment(whole, {80, 72, false}));
  CHECK(t.sink.counts == std::map<std::string, int>{{"drop-ipv6-frag-too-many", 9}});
  CHECK(t.sink.icmp.empty());
  CHECK(t.r->fragments() == 0);
  CHECK(t.sink.live() == 0);
  t.offer(make_fragment(whole, {144, 8, true}));  // a late one: dropped as well
  CHECK(t.sink.counts == std::map<std::string, int>{{"drop-ipv6-frag-too-many", 10}});
  t.check_empty();
}

TEST_CASE("case 24: a full table evicts its oldest datagram", "[reassembly]") {
  const Bytes whole = inner_bytes();
  Table t(2);
  t.offer(make_fragment(whole, {0, 64, true, 1}), 1);
  t.offer(make_fragment(whole, {0, 64, true, 2}), 2);
  t.offer(make_fragment(whole, {0, 64, true, 3}), 3);  // evicts id 1
  CHECK(t.sink.counts == std::map<std::string, int>{{"drop-ipv6-frag-evicted", 1}});
  CHECK(t.r->size() == 2);
  t.offer(make_fragment(whole, {64, 56, false, 1}), 4);  // id 1 starts again, evicts id 2
  CHECK(t.sink.counts == std::map<std::string, int>{{"drop-ipv6-frag-evicted", 2}});
  t.offer(make_fragment(whole, {64, 56, false, 3}), 5);  // id 3 survived: completes
  CHECK(t.sink.delivered.size() == 1);
  CHECK(t.sink.icmp.empty());
  t.check_empty();
}

TEST_CASE("the fragments held in all are bounded: the oldest other datagram makes room",
          "[reassembly]") {
  const Bytes whole = inner_bytes();
  TepContext tep = make_tep();
  RecordingSink sink;
  ReassemblyLimits limits;
  limits.capacity = 16;
  limits.timeout = kTimeout;
  limits.max_fragments = 8;
  Reassembler r(tep, limits);
  auto offer = [&](const Frag& f) {
    Buffer* b = sink.fragment(make_fragment(whole, f));
    const DecapParse parsed = decap_parse(tep, b->buf);
    REQUIRE(parsed.fragment_header != 0);
    r.offer(FragmentIn{b, b->buf, parsed.fragment_header, parsed.fragment_next_field}, 0, sink);
  };
  for (std::uint32_t id = 1; id <= 2; ++id) {  // two datagrams of 4 fragments: 8 held
    offer({0, 24, true, id});
    for (std::uint32_t i = 0; i < 3; ++i) offer({24 + i * 8, 8, true, id});
  }
  CHECK(r.fragments() == 8);
  CHECK(sink.counts.empty());
  SECTION("a fragment of a new datagram evicts the oldest") {
    offer({64, 56, false, 3});
    CHECK(sink.counts == std::map<std::string, int>{{"drop-ipv6-frag-evicted", 4}});
    CHECK(r.size() == 2);
    CHECK(r.fragments() == 5);
  }
  SECTION("a fragment of the oldest datagram evicts the next one, never its own") {
    offer({48, 8, true, 1});
    CHECK(sink.counts == std::map<std::string, int>{{"drop-ipv6-frag-evicted", 4}});
    CHECK(r.fragments() == 5);
    offer({56, 64, false, 1});  // and it completes
    CHECK(sink.delivered.size() == 1);
    CHECK(r.fragments() == 0);
  }
  r.clear(sink);
  CHECK(sink.live() == 0);
}

TEST_CASE("case 25: fragments invalid on their own get Parameter Problem 4/0", "[reassembly]") {
  const Bytes whole = inner_bytes();
  Table t;
  SECTION("M=1 with a length that is not a multiple of 8: pointer to the Payload Length") {
    const Bytes bad = make_fragment(whole, {0, 60, true});
    t.offer(bad);
    REQUIRE(t.sink.icmp.size() == 1);
    check_drop(t.sink.icmp[0], "drop-ipv6-frag-invalid", IcmpError::kV6ParameterProblem, 0, 4);
    CHECK(t.sink.quoted[0] == bad);
  }
  SECTION("offset + length beyond 65535: pointer to the Fragment Offset") {
    Outer o;
    o.next = kFrag;
    o.ext = fragment_header_id(kV4, 65528, false, 7);
    const Bytes bad = ipv6_packet(o, Bytes(16, 0xAB));
    t.offer(bad);
    REQUIRE(t.sink.icmp.size() == 1);
    check_drop(t.sink.icmp[0], "drop-ipv6-frag-invalid", IcmpError::kV6ParameterProblem, 0, 42);
  }
  SECTION("the same behind a Destination Options header: the pointer follows it") {
    Outer o;
    o.next = kOpts;
    o.ext = concat(encap_limit_header(kFrag), fragment_header_id(kV4, 65528, false, 7));
    t.offer(ipv6_packet(o, Bytes(8, 0xAB)));  // 8 (options) + 65528 + 8 > 65535
    REQUIRE(t.sink.icmp.size() == 1);
    check_drop(t.sink.icmp[0], "drop-ipv6-frag-invalid", IcmpError::kV6ParameterProblem, 0, 50);
  }
  SECTION("parameter_problem policy off: dropped silently") {
    t.tep.icmp.parameter_problem = false;
    t.offer(make_fragment(whole, {0, 60, true}));
    CHECK(t.sink.icmp.empty());
  }
  CHECK(t.sink.counts == std::map<std::string, int>{{"drop-ipv6-frag-invalid", 1}});
  CHECK(t.r->empty());
  CHECK(t.sink.live() == 0);
}

TEST_CASE("an exactly-ending last fragment at 65535 is accepted", "[reassembly]") {
  Table t(16, 70000);
  Outer o;
  o.next = kFrag;
  o.ext = fragment_header_id(kV4, 65528, false, 7);
  t.offer(ipv6_packet(o, Bytes(7, 0xAB)));  // ends at 65535
  CHECK(t.sink.counts.empty());
  CHECK(t.r->size() == 1);
  t.check_empty();
}

TEST_CASE("case 26: a first fragment without the inner IPv4 header gets 4/3", "[reassembly]") {
  Table t;
  Bytes bad;
  SECTION("16 bytes of IPv4 header") {
    bad = make_fragment(inner_bytes(), {0, 16, true});
  }
  SECTION("a Destination Options header after the Fragment header, then nothing") {
    Outer o;
    o.next = kFrag;
    o.ext = fragment_header_id(kOpts, 0, true, 7);
    // 16 bytes of options, then no IPv4 at all: the chain is there, the IPv4 header is not.
    bad = ipv6_packet(o, options_header(kV4, {1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  }
  SECTION("the chain itself cut short") {
    Outer o;
    o.next = kFrag;
    o.ext = fragment_header_id(kOpts, 0, true, 7);
    bad = ipv6_packet(o, Bytes{kV4, 2, 1, 12, 0, 0, 0, 0});  // says 24 bytes, has 8
  }
  t.offer(bad);
  REQUIRE(t.sink.icmp.size() == 1);
  check_drop(t.sink.icmp[0], "drop-ipv6-frag-invalid", IcmpError::kV6ParameterProblem, 3, 0);
  CHECK(t.sink.quoted[0] == bad);
  CHECK(t.sink.counts == std::map<std::string, int>{{"drop-ipv6-frag-invalid", 1}});
  CHECK(t.r->empty());
  CHECK(t.sink.live() == 0);
}

TEST_CASE("case 28: per-fragment headers before the Fragment header", "[reassembly]") {
  const Bytes whole = inner_bytes();
  const Bytes hbh = options_header(kOpts, {1, 4, 0, 0, 0, 0});
  const Bytes first_headers = concat(hbh, encap_limit_header(kFrag));  // 16 bytes
  Table t;
  SECTION("fragment 0 carries them; the others carry none") {
    t.offer(make_fragment(whole, {64, 56, false}));
    t.offer(make_fragment(whole, {0, 64, true}, kHbh, first_headers));
  }
  SECTION("the others carry different ones: only fragment 0's are kept (RFC 8200 §4.5)") {
    t.offer(make_fragment(whole, {0, 64, true}, kHbh, first_headers));
    t.offer(make_fragment(whole, {64, 56, false}, kOpts, encap_limit_header(kFrag)));
  }
  Outer o;
  o.next = kHbh;
  o.ext = concat(hbh, encap_limit_header(kV4));
  check_delivered_and_decapsulated(t, ipv6_packet(o, whole));
  t.check_empty();
}

TEST_CASE("a datagram that cannot fit one buffer is discarded", "[reassembly]") {
  const Bytes whole = inner_bytes();
  SECTION("known too big as soon as a fragment reaches past max_packet") {
    Table t(16, 40 + 100);
    t.offer(make_fragment(whole, {0, 64, true}));
    t.offer(make_fragment(whole, {64, 56, false}));  // 40 + 120 > 140
    CHECK(t.sink.counts == std::map<std::string, int>{{"drop-ipv6-frag-no-room", 2}});
    t.check_empty();
  }
  SECTION("too big once fragment 0's extension headers are counted") {
    Table t(16, 40 + 120 + 8);
    t.offer(make_fragment(whole, {64, 56, false}));
    t.offer(make_fragment(whole, {0, 64, true}, kOpts, encap_limit_header(kFrag)));  // 48 + 120
    CHECK(t.sink.counts == std::map<std::string, int>{{"in-ipv6-frag-reassembled", 1}});
    t.check_empty();
    Table u(16, 40 + 120 + 7);
    u.offer(make_fragment(whole, {64, 56, false}));
    u.offer(make_fragment(whole, {0, 64, true}, kOpts, encap_limit_header(kFrag)));
    CHECK(u.sink.counts == std::map<std::string, int>{{"drop-ipv6-frag-no-room", 2}});
    u.check_empty();
  }
  SECTION("no buffer to reassemble into") {
    Table t;
    t.sink.allocation_fails = true;
    t.offer(make_fragment(whole, {0, 64, true}));
    t.offer(make_fragment(whole, {64, 56, false}));
    CHECK(t.sink.counts == std::map<std::string, int>{{"drop-ipv6-frag-no-room", 2}});
    CHECK(t.sink.delivered.empty());
    t.check_empty();
  }
  SECTION("a buffer smaller than promised") {
    Table t;
    t.sink.room = 100;
    t.offer(make_fragment(whole, {0, 64, true}));
    t.offer(make_fragment(whole, {64, 56, false}));
    CHECK(t.sink.counts == std::map<std::string, int>{{"drop-ipv6-frag-no-room", 2}});
    t.check_empty();
  }
}

TEST_CASE("Ethernet padding after a fragment is not reassembled", "[reassembly]") {
  const Bytes whole = inner_bytes();
  Table t;
  t.offer(make_fragment(whole, {0, 64, true}));
  Bytes padded = make_fragment(whole, {64, 56, false});
  padded.insert(padded.end(), 6, 0xEE);
  t.offer(padded);
  check_delivered_and_decapsulated(t, ipv6_packet(Outer{}, whole));
  t.check_empty();
}

}  // namespace
}  // namespace dstm::dp::test

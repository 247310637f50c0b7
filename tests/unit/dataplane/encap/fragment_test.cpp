// fragment_ipv6 (RFC 8200 §4.5) and the encap_finish -> fragment_ipv6 path of case 38
// (TEP-BEHAVIOUR.md, RFC 2473 §7.2): layout of every fragment, reassembly, refusals.
#include "packet/fragment.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "packet/encap.h"
#include "test_packets.h"

namespace dstm::dp {
namespace {

using test::Ipv4Spec;
using test::TestBuf;

constexpr std::uint32_t kId = 0xA1B2C3D4;

// `count` empty output buffers of `room` bytes tailroom each (16 bytes of headroom, like an
// mbuf keeps for L2). Storage is filled with 0xEE so refusals can be seen to write nothing.
struct Outs {
  std::vector<std::vector<std::uint8_t>> storage;
  std::vector<PacketBuf> bufs;
  Outs(unsigned count, std::uint32_t room) : storage(count), bufs(count) {
    for (unsigned i = 0; i < count; ++i) {
      storage[i].assign(16 + room, 0xEE);
      bufs[i].data = storage[i].data() + 16;
      bufs[i].headroom = 16;
      bufs[i].tailroom = room;
    }
  }
  std::vector<std::uint8_t> bytes(unsigned i) const {
    return {bufs[i].data, bufs[i].data + bufs[i].len};
  }
  // True when no buffer was written (len 0, room as given, storage still 0xEE).
  bool untouched(std::uint32_t room) const {
    for (std::size_t i = 0; i < bufs.size(); ++i) {
      if (bufs[i].len != 0 || bufs[i].tailroom != room || bufs[i].headroom != 16) return false;
      if (std::any_of(storage[i].begin(), storage[i].end(), [](std::uint8_t b) { return b != 0xEE; })) {
        return false;
      }
    }
    return true;
  }
};

// An IPv4-in-IPv6 packet whose inner IPv4 packet is `inner_total` bytes, with a traffic class,
// flow label and hop limit that the fragments must copy.
std::vector<std::uint8_t> make_whole(std::size_t inner_total) {
  Ipv4Spec spec;
  spec.payload_length = inner_total - net::Ipv4Header::kSize;
  const auto v4 = test::make_ipv4(spec);
  // Built here rather than with test::make_ipv6: GCC 12 reports a false -Warray-bounds on its
  // vector::insert once inlined at this size.
  std::vector<std::uint8_t> b(40 + v4.size());
  std::copy(v4.begin(), v4.end(), b.begin() + 40);
  auto h = net::Ipv6Header::at(b);
  h->set_version_class_flow(6, 0xB9, 0x12345);
  h->set_payload_length(static_cast<std::uint16_t>(v4.size()));
  h->set_next_header(net::kProtoIpv4InIpv6);
  h->set_hop_limit(50);
  h->set_src(test::kTep6);
  h->set_dst(test::kNode6);
  return b;
}

struct FragmentFields {
  std::uint8_t next_header = 0;
  std::uint8_t reserved = 0;
  std::uint32_t offset_bytes = 0;
  std::uint8_t res_bits = 0;
  bool more = false;
  std::uint32_t id = 0;
};

FragmentFields fragment_fields(const std::vector<std::uint8_t>& frag) {
  const std::uint8_t* f = frag.data() + 40;
  const std::uint16_t word = net::load_be16(f + 2);
  return FragmentFields{f[0], f[1], static_cast<std::uint32_t>(word >> 3) * 8u,
                        static_cast<std::uint8_t>((word >> 1) & 3u), (word & 1u) != 0,
                        net::load_be32(f + 4)};
}

// Checks n fragments of `whole` at `mtu` against RFC 8200 §4.5 and returns the payload they
// reassemble to (slices placed by offset; gaps stay 0x00 and show up as a mismatch).
std::vector<std::uint8_t> check_and_reassemble(const std::vector<std::uint8_t>& whole,
                                               std::uint32_t mtu, const Outs& outs, unsigned n) {
  const std::size_t payload = whole.size() - 40;
  const std::uint32_t slice_max = (mtu - 48) / 8 * 8;  // as large as mtu allows, multiple of 8
  std::vector<std::uint8_t> reassembled(payload, 0x00);
  std::size_t covered = 0;
  for (unsigned i = 0; i < n; ++i) {
    INFO("fragment " << i << " of " << n);
    const auto frag = outs.bytes(i);
    REQUIRE(frag.size() > 48);
    CHECK(frag.size() <= mtu);
    auto h = net::Ipv6Header::at(std::span(const_cast<std::uint8_t*>(frag.data()), frag.size()));
    REQUIRE(h);
    // The IPv6 header is copied; only Payload Length and Next Header change.
    CHECK(std::equal(frag.begin(), frag.begin() + 4, whole.begin()));
    CHECK(std::equal(frag.begin() + 7, frag.begin() + 40, whole.begin() + 7));
    CHECK(h->payload_length() == frag.size() - 40);
    CHECK(h->next_header() == net::kProtoIpv6Frag);
    const FragmentFields f = fragment_fields(frag);
    CHECK(f.next_header == net::kProtoIpv4InIpv6);
    CHECK(f.reserved == 0);
    CHECK(f.res_bits == 0);
    CHECK(f.id == kId);
    CHECK(f.offset_bytes == covered);
    const std::size_t slice = frag.size() - 48;
    const bool last = i + 1 == n;
    CHECK(f.more == !last);
    if (!last) {
      CHECK(slice % 8 == 0);
      CHECK(slice == slice_max);
    } else {
      CHECK(slice <= slice_max);
      CHECK(f.offset_bytes + slice == payload);
    }
    REQUIRE(f.offset_bytes + slice <= payload);
    std::copy(frag.begin() + 48, frag.end(), reassembled.begin() + f.offset_bytes);
    covered += slice;
  }
  CHECK(covered == payload);
  return reassembled;
}

std::vector<std::uint8_t> payload_of(const std::vector<std::uint8_t>& whole) {
  return {whole.begin() + 40, whole.end()};
}

}  // namespace

TEST_CASE("case 38: 1500 B DF=0 at tunnel MTU 1460 -> encapsulated, then 2 outer fragments",
          "[encap][fragment]") {
  const auto tep = test::make_tep();
  REQUIRE(tep.tunnel_mtu == 1460);
  Ipv4Spec spec;
  spec.payload_length = 1480;
  const auto in = test::make_ipv4(spec);
  TestBuf buf(in);
  const EncapParse parsed = encap_parse(tep, buf.pkt);
  REQUIRE_FALSE(parsed.early);
  const Verdict v = encap_finish(tep, buf.pkt, parsed, &test::kNode6);
  CHECK(v.action == Action::kToIpv6SideFragment);
  CHECK(v.counter == Counter::kOutIpv6Fragment);
  CHECK(v.icmp == IcmpError::kNone);
  REQUIRE(v.mtu == 1500);
  REQUIRE(buf.pkt.len == 1540);
  const auto whole = buf.contents();

  Outs outs(4, 2048);
  const unsigned n = fragment_ipv6(buf.pkt, v.mtu, kId, outs.bufs.data(), 4);
  REQUIRE(n == 2);
  CHECK(buf.contents() == whole);  // the source packet is not modified
  // Exact layout: 1448 (= (1500 - 48) rounded down to 8) then 52 bytes at offset 1448 = 181 units.
  const auto f0 = outs.bytes(0);
  const auto f1 = outs.bytes(1);
  CHECK(f0.size() == 1496);
  CHECK(f1.size() == 100);
  CHECK(net::load_be16(f0.data() + 4) == 1456);
  CHECK(net::load_be16(f1.data() + 4) == 60);
  CHECK(f0[6] == 44);
  CHECK(f1[6] == 44);
  CHECK(net::load_be16(f0.data() + 42) == 0x0001);            // offset 0, M = 1
  CHECK(net::load_be16(f1.data() + 42) == (181u << 3));      // offset 181, M = 0
  CHECK(net::load_be32(f0.data() + 44) == kId);
  CHECK(net::load_be32(f1.data() + 44) == kId);
  CHECK(outs.bufs[2].len == 0);
  CHECK(outs.bufs[3].len == 0);
  // The outer header of the fragments is the one encap wrote (src T, dst C6).
  CHECK(std::equal(f0.begin() + 8, f0.begin() + 40, whole.begin() + 8));
  CHECK(check_and_reassemble(whole, 1500, outs, n) == payload_of(whole));
  // The reassembled payload is the inner packet with TTL 63.
  CHECK(net::Ipv4Header::at(std::span(buf.pkt.data + 40, 1500))->ttl() == 63);
}

TEST_CASE("fragment_ipv6 at the IPv6 minimum MTU 1280 gives 3 or more fragments", "[fragment]") {
  std::size_t inner = 0;
  unsigned expected = 0;
  SECTION("3000 B inner: 1232 + 1232 + 536") {
    inner = 3000;
    expected = 3;
  }
  SECTION("inner of exactly 2 full slices: last fragment full size with M = 0") {
    inner = 2 * 1232;
    expected = 2;
  }
  SECTION("one byte past 2 full slices: a 1-byte last fragment") {
    inner = 2 * 1232 + 1;
    expected = 3;
  }
  SECTION("9000 B inner: 8 fragments") {
    inner = 9000;
    expected = 8;
  }
  SECTION("65535 B payload, the largest offset") {
    inner = 65535;
    expected = 54;  // ceil(65535 / 1232)
  }
  const auto whole = make_whole(inner);
  TestBuf buf(whole);
  Outs outs(64, 1280);
  const unsigned n = fragment_ipv6(buf.pkt, 1280, kId, outs.bufs.data(), 64);
  REQUIRE(n == expected);
  CHECK(outs.bufs[n].len == 0);
  CHECK(check_and_reassemble(whole, 1280, outs, n) == payload_of(whole));
  CHECK(buf.contents() == whole);
}

TEST_CASE("fragment_ipv6: an MTU that is not 8-aligned past the headers, and whole = mtu + 1",
          "[fragment]") {
  std::uint32_t mtu = 0;
  std::size_t inner = 0;
  SECTION("mtu 1501 (slice 1448, 5 spare bytes unused)") {
    mtu = 1501;
    inner = 1500;
  }
  SECTION("whole exactly mtu + 1") {
    mtu = 1400;
    inner = 1401 - 40;
  }
  SECTION("jumbo link mtu 9000") {
    mtu = 9000;
    inner = 20000;
  }
  const auto whole = make_whole(inner);
  TestBuf buf(whole);
  Outs outs(8, 9100);
  const unsigned n = fragment_ipv6(buf.pkt, mtu, kId, outs.bufs.data(), 8);
  const std::uint32_t slice_max = (mtu - 48) / 8 * 8;
  REQUIRE(n == (inner + slice_max - 1) / slice_max);
  REQUIRE(n >= 2);
  CHECK(check_and_reassemble(whole, mtu, outs, n) == payload_of(whole));
}

TEST_CASE("fragment_ipv6 refuses and writes nothing", "[fragment]") {
  auto whole = make_whole(3000);  // 3 fragments at 1280, 3 at 1500 (1448 + 1448 + 104)
  std::uint32_t mtu = 1280;
  unsigned count = 8;
  std::uint32_t room = 4096;  // enough for every fragment in every section but the small one
  SECTION("mtu below the IPv6 minimum 1280 (RFC 8200 §5)") {
    mtu = 1279;
  }
  SECTION("mtu 0") {
    mtu = 0;
  }
  SECTION("too few output buffers") {
    count = 2;
  }
  SECTION("no output buffers") {
    count = 0;
  }
  SECTION("buffers one byte too small for a full fragment") {
    room = 1279;
  }
  SECTION("packet not larger than the mtu (no atomic fragments, RFC 8021)") {
    mtu = 3040;
  }
  SECTION("next header not 4") {
    whole[6] = net::kProtoUdp;
  }
  SECTION("next header already 44") {
    whole[6] = net::kProtoIpv6Frag;
  }
  SECTION("payload length field disagrees with the packet length") {
    net::store_be16(whole.data() + 4, 2999);
  }
  SECTION("not version 6") {
    whole[0] = 0x45;
  }
  TestBuf buf(whole);
  Outs outs(8, room);
  CHECK(fragment_ipv6(buf.pkt, mtu, kId, outs.bufs.data(), count) == 0);
  CHECK(outs.untouched(room));
  CHECK(buf.contents() == whole);
}

TEST_CASE("fragment_ipv6: out_count exactly the fragment count is enough", "[fragment]") {
  const auto whole = make_whole(3000);
  TestBuf buf(whole);
  Outs outs(3, 1280);  // each buffer exactly mtu bytes
  CHECK(fragment_ipv6(buf.pkt, 1280, kId, outs.bufs.data(), 3) == 3);
  CHECK(outs.bufs[0].tailroom == 0);
  CHECK(check_and_reassemble(whole, 1280, outs, 3) == payload_of(whole));
}

TEST_CASE("fragment_ipv6 checks every buffer before writing any", "[fragment]") {
  const auto whole = make_whole(3000);  // at 1280: slices 1232, 1232, 536 -> 1280, 1280, 584
  TestBuf buf(whole);
  Outs outs(3, 1290);  // 10 spare bytes, so only the one defect per section is wrong
  unsigned bad = 0;
  SECTION("the last buffer one byte short of its 584-byte fragment") {
    bad = 2;
    outs.bufs[2].tailroom = 583;
  }
  SECTION("a middle buffer not empty") {
    bad = 1;
    outs.bufs[1].len = 1;
    outs.bufs[1].tailroom = 1289;  // still room for a full fragment after the stray byte
  }
  SECTION("the first buffer without storage") {
    bad = 0;
    outs.bufs[0].data = nullptr;
  }
  CHECK(fragment_ipv6(buf.pkt, 1280, kId, outs.bufs.data(), 3) == 0);
  for (unsigned i = 0; i < 3; ++i) {
    if (i == bad) continue;
    INFO("buffer " << i);
    CHECK(outs.bufs[i].len == 0);
    CHECK(outs.bufs[i].tailroom == 1290);
    CHECK(std::all_of(outs.storage[i].begin(), outs.storage[i].end(),
                      [](std::uint8_t b) { return b == 0xEE; }));
  }
}

TEST_CASE("fragment_ipv6: the last fragment buffer needs only its own size", "[fragment]") {
  const auto whole = make_whole(3000);
  TestBuf buf(whole);
  Outs outs(3, 1280);
  outs.bufs[2].tailroom = 584;
  REQUIRE(fragment_ipv6(buf.pkt, 1280, kId, outs.bufs.data(), 3) == 3);
  CHECK(outs.bufs[2].len == 584);
  CHECK(outs.bufs[2].tailroom == 0);
  CHECK(check_and_reassemble(whole, 1280, outs, 3) == payload_of(whole));
}

TEST_CASE("fragment_ipv6: a short or empty source is refused", "[fragment]") {
  std::vector<std::uint8_t> bytes(39, 0x60);
  TestBuf buf(bytes);
  Outs outs(2, 1280);
  CHECK(fragment_ipv6(buf.pkt, 1280, kId, outs.bufs.data(), 2) == 0);
  PacketBuf empty;
  CHECK(fragment_ipv6(empty, 1280, kId, outs.bufs.data(), 2) == 0);
  CHECK(outs.untouched(1280));
}

}  // namespace dstm::dp

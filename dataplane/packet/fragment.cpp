// Outer IPv6 fragmentation (RFC 8200 §4.5) of IPv4-in-IPv6 packets, RFC 2473 §7.2 case 38.
#include "packet/fragment.h"

#include <cstring>

#include "net/net.h"
#include "packet/ipv6_encap.h"

namespace dstm::dp {

unsigned fragment_ipv6(const PacketBuf& whole, std::uint32_t mtu, std::uint32_t identification,
                       PacketBuf* out, unsigned out_count) {
  // RFC 8200 §5: every IPv6 link carries 1280 bytes, so a smaller MTU is a configuration error.
  if (mtu < kIpv6MinimumMtu) return 0;
  if (whole.len <= mtu) return 0;  // nothing to do; RFC 8021 deprecates atomic fragments
  auto ip = net::Ipv6Header::at(whole.bytes());
  if (!ip || ip->version() != 6 || ip->next_header() != net::kProtoIpv4InIpv6) return 0;
  const std::uint32_t payload = whole.len - kIpv6HeaderBytes;
  if (ip->payload_length() != payload) return 0;  // jumbograms and padding are not ours

  // RFC 8200 §4.5: the Unfragmentable Part here is the IPv6 header alone (no extension headers),
  // so each fragment is 40 + 8 + a slice, and every slice but the last a multiple of 8 octets.
  // mtu >= 1280 keeps the slice at 1232 bytes or more.
  const std::uint32_t slice_max = (mtu - kIpv6HeaderBytes - kIpv6FragmentHeaderBytes) & ~7u;
  const std::uint32_t n = (payload + slice_max - 1) / slice_max;
  if (n > out_count) return 0;
  // Every buffer is checked before any is written, so a refusal leaves `out` as it was.
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint32_t slice = i + 1 < n ? slice_max : payload - i * slice_max;
    if (out[i].data == nullptr || out[i].len != 0 ||
        out[i].tailroom < kIpv6HeaderBytes + kIpv6FragmentHeaderBytes + slice) {
      return 0;
    }
  }

  const std::uint8_t* const src = whole.data + kIpv6HeaderBytes;
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint32_t offset = i * slice_max;  // bytes into the Fragmentable Part, < 65536
    const bool last = i + 1 == n;
    const std::uint32_t slice = last ? payload - offset : slice_max;
    std::uint8_t* p = out[i].append(kIpv6HeaderBytes + kIpv6FragmentHeaderBytes + slice);
    // RFC 8200 §4.5: the Unfragmentable Part with its Payload Length changed to this fragment's
    // length and the last header's Next Header changed to 44.
    std::memcpy(p, whole.data, kIpv6HeaderBytes);
    auto h = net::Ipv6Header::at(out[i].bytes());
    h->set_payload_length(static_cast<std::uint16_t>(kIpv6FragmentHeaderBytes + slice));
    h->set_next_header(net::kProtoIpv6Frag);
    // The Fragment header: Next Header (the first header of the Fragmentable Part, 4),
    // Reserved 0, then Fragment Offset (13 bits, 8-octet units) | Res (2 bits, 0) | M, then
    // the Identification.
    std::uint8_t* f = p + kIpv6HeaderBytes;
    f[0] = net::kProtoIpv4InIpv6;
    f[1] = 0;
    net::store_be16(f + 2, static_cast<std::uint16_t>((offset / 8) << 3 | (last ? 0u : 1u)));
    net::store_be32(f + 4, identification);
    std::memcpy(f + kIpv6FragmentHeaderBytes, src + offset, slice);
  }
  return n;
}

}  // namespace dstm::dp

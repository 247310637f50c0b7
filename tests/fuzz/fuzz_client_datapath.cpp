// dstm-client's TUN data path checks (controlplane/client/datapath.h) on arbitrary bytes: what
// arrives on the raw IPv6 socket comes from the network. Layout of an input: 16 bytes outer
// IPv6 source, then the IPv6 payload (the inner IPv4 packet). The TEP is 2001:db8:1::1 and the
// lease 10.64.0.1; an input whose first bytes spell them exercises the accepting paths.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "datapath.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dstm;
  static const auto tep = *net::Ipv6Address::parse("2001:db8:1::1");
  static const auto leased = *net::Ipv4Address::parse("10.64.0.1");
  const std::span<const std::uint8_t> all(data, size);
  (void)client::check_outbound(all, leased);
  const std::size_t whole = client::ipv4_packet_length(all);
  if (whole > size) std::abort();  // a length must stay inside what was received
  if (size < 16) return 0;
  const auto source = net::Ipv6Address::from_bytes(data);
  const auto inner = all.subspan(16);
  const auto verdict = client::check_inbound(source, inner, tep, leased);
  if (verdict == client::Verdict::kForward) {
    // Forwarded into the TUN only: from the TEP, a well-formed IPv4 packet for our lease.
    const std::size_t n = client::ipv4_packet_length(inner);
    if (!(source == tep) || n == 0 || n > inner.size()) std::abort();
    if (!(net::Ipv4Address::from_bytes(inner.data() + 16) == leased)) std::abort();
  }
  return 0;
}

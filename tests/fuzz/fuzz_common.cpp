#include "fuzz_common.h"

namespace dstm::fuzz {

Script split_input(const std::uint8_t* data, std::size_t size) {
  Script script{tsp::Transport::kStream, {}};
  if (size == 0) return script;
  const bool datagram = (data[0] & 1u) != 0;
  const std::size_t chunk = static_cast<std::size_t>(data[0] >> 1) + 1;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if (datagram) {
    script.transport = tsp::Transport::kDatagram;
    constexpr std::string_view kSep("\x00\xff\x00", 3);
    for (;;) {
      std::size_t at = rest.find(kSep);
      script.inputs.push_back(rest.substr(0, at));
      if (at == std::string_view::npos) break;
      rest.remove_prefix(at + kSep.size());
    }
  } else {
    while (!rest.empty()) {
      script.inputs.push_back(rest.substr(0, chunk));
      rest.remove_prefix(std::min(chunk, rest.size()));
    }
  }
  return script;
}

const tsp::sasl::CredentialStore& test_store() {
  static const tsp::sasl::MemoryCredentialStore store = [] {
    FixedNonces salts;
    tsp::sasl::MemoryCredentialStore s;
    s.add(tsp::sasl::make_user_record("node1", "pw", "dstm", 4096, salts));
    return s;
  }();
  return store;
}

tsp::TunnelMessage canned_info() {
  using namespace tsp;
  TunnelMessage m;
  m.action = TunnelAction::kInfo;
  m.type = TunnelType::kV4V6;
  m.lifetime = 3600;
  m.server = Endpoint{{{AddressType::kIpv4, "192.0.2.1"}, {AddressType::kIpv6, "2001:db8::1"}}, {}, {}, {}};
  m.client = Endpoint{{{AddressType::kIpv4, "192.0.2.2"}, {AddressType::kIpv6, "2001:db8::2"}},
                      {{AddressType::kIpv6, "2001:db8::53"}}, {}, {}};
  return m;
}

}  // namespace dstm::fuzz

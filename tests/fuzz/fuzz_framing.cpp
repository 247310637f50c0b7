// Stream and datagram framing, the RUDP header, and the handshake line parsers.
#include "fuzz_common.h"

using namespace dstm;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  tsp::StreamDecoder decoder(tsp::FramingLimits{256, 4096});
  decoder.feed(bytes);
  while (auto item = decoder.next()) {
    (void)tsp::parse_capability_line(item->text);
    (void)tsp::parse_version_line(item->text);
    (void)tsp::parse_status_code(item->text);
  }
  (void)tsp::decode_datagram(bytes);
  tsp::RudpServerPeer peer;
  if (auto header = tsp::parse_rudp_header(bytes)) {
    if (peer.classify(*header) == tsp::RudpServerPeer::Verdict::kProcess) peer.reply("x");
  }
  return 0;
}

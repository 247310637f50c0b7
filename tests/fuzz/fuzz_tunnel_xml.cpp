// The XML tunnel parser, and the round-trip property: whatever parses must serialize to
// something that parses back to the same model, in both styles.
#include <cstdlib>

#include "fuzz_common.h"

using namespace dstm;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view xml(reinterpret_cast<const char*>(data), size);
  auto parsed = tsp::parse_tunnel(xml);
  if (!parsed) return 0;
  for (auto style : {tsp::XmlStyle::kClientRequest, tsp::XmlStyle::kServerReply}) {
    std::string again = tsp::serialize_tunnel(*parsed, style);
    auto reparsed = tsp::parse_tunnel(again);
    if (!reparsed || !(*reparsed == *parsed)) std::abort();
  }
  (void)tsp::describe(*parsed);
  return 0;
}

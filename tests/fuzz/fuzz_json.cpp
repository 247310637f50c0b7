// lib/json: the control sockets' parser. Any input either fails cleanly or parses into a value
// whose serialization parses back to an equal value and serializes to the same text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "json/json.h"

using namespace dstm;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = json::parse(text);
  if (!parsed) return 0;
  std::string once = json::serialize(*parsed);
  auto again = json::parse(once);
  if (!again || !(*again == *parsed) || json::serialize(*again) != once) std::abort();
  auto pretty = json::parse(json::serialize_pretty(*parsed));
  if (!pretty || !(*pretty == *parsed)) std::abort();
  return 0;
}

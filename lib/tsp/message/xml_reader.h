// Internal to tsp/message: turns a checked pugixml <tunnel> tree into a TunnelMessage.
// Not a public header: use tunnel_xml.h.
#pragma once

#include <cstdint>
#include <optional>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tsp/message/tunnel.h"
#include "tsp/message/tunnel_xml.h"

namespace dstm::tsp {

inline ParseError invalid(std::string detail) {
  return ParseError{Status::kInvalidRequest, std::move(detail)};
}

// A peer's value made safe for a log line: at most 40 bytes, control characters as '?'.
std::string printable(std::string_view value);

// Reads with a sticky error: the first failure is kept and later reads return defaults, so each
// element reader stays a straight list of fields. Call error() once at the end.
class XmlReader {
 public:
  TunnelMessage tunnel(pugi::xml_node node);
  const std::optional<ParseError>& error() const { return error_; }

 private:
  void fail(Status status, std::string detail);
  bool failed() const { return error_.has_value(); }

  template <class T>
  void set_once(std::optional<T>& slot, T&& value, std::string_view element) {
    // gogoc finds end tags with strstr and would read only the first of two; refuse the
    // ambiguity instead of guessing (tsp-digest.md §3.3).
    if (slot) {
      fail(Status::kInvalidRequest, "repeated <" + std::string(element) + ">");
      return;
    }
    slot = std::forward<T>(value);
  }

  std::optional<std::string> attribute(pugi::xml_node node, std::string_view name);
  std::optional<std::uint32_t> number(pugi::xml_node node, std::string_view name,
                                      std::uint32_t max);
  std::string text(pugi::xml_node node);
  std::string checked_value(std::string_view raw, std::string_view where);

  void tunnel_attributes(pugi::xml_node node, TunnelMessage& message);
  std::optional<bool> yes_no(pugi::xml_node node, const char* name);  // "yes" | "no"
  Endpoint endpoint(pugi::xml_node node);
  Address address(pugi::xml_node node);
  void append_addresses(pugi::xml_node node, std::vector<Address>& out);
  Keepalive keepalive(pugi::xml_node node);
  Router router(pugi::xml_node node);
  Prefix prefix(pugi::xml_node node);
  As as(pugi::xml_node node);

  std::optional<ParseError> error_;
};

}  // namespace dstm::tsp

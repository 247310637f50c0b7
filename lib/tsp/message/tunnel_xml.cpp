// parse_tunnel: the guarded <tunnel> parser. The input comes from unauthenticated peers, so it
// goes through three gates before any value is read: a byte scan (size, control characters,
// DOCTYPE, character references), pugixml on the buffer, and a walk that bounds depth and node
// count and checks there is exactly one <tunnel> root. Reading itself is lenient, like gogoc's
// own parser (tsp-digest.md §3.3): unknown elements and attributes are skipped.
#include "tsp/message/tunnel_xml.h"

#include <pugixml.hpp>
#include <utility>

#include "tsp/message/ascii.h"
#include "tsp/message/xml_reader.h"

namespace dstm::tsp {
namespace {

// parse_default = CDATA, the five predefined entities, attribute whitespace and CRLF
// normalisation. parse_doctype makes a DOCTYPE a node we can see and refuse (pugixml skips it
// silently otherwise); parse_fragment keeps text outside the root as nodes, so that
// "<tunnel/>junk" is refused rather than silently cut.
constexpr unsigned kParseFlags =
    pugi::parse_default | pugi::parse_doctype | pugi::parse_declaration | pugi::parse_fragment;

bool contains_ignore_case(std::string_view haystack, std::string_view needle) {
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (equals_ignore_case(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

// XML 1.0 §2.2 allows no C0 control other than tab, LF and CR; pugixml would also treat a NUL
// as the end of the document and accept "<tunnel/>\0anything".
std::optional<std::size_t> find_forbidden_byte(std::string_view xml) {
  for (std::size_t i = 0; i < xml.size(); ++i) {
    const auto byte = static_cast<unsigned char>(xml[i]);
    if (byte < 0x20 && byte != '\t' && byte != '\n' && byte != '\r') return i;
  }
  return std::nullopt;
}

// Gate 1, on raw bytes, before pugixml allocates anything.
std::optional<ParseError> prescan(std::string_view xml, const XmlLimits& limits) {
  if (xml.size() > limits.max_bytes) {
    return invalid("message of " + std::to_string(xml.size()) + " bytes exceeds the limit of " +
                   std::to_string(limits.max_bytes));
  }
  if (const auto at = find_forbidden_byte(xml)) {
    return invalid("control character at offset " + std::to_string(*at));
  }
  // No TSP message has a DTD; refusing it refuses entity expansion (billion laughs) and any
  // external reference with it.
  if (contains_ignore_case(xml, "<!doctype")) return invalid("DOCTYPE is not allowed");
  // pugixml decodes "&#0;" into a string terminator, silently cutting a value short. No TSP
  // implementation writes character references (tsp-digest.md §3.3), so refuse them all.
  if (xml.find("&#") != std::string_view::npos) {
    return invalid("character references are not allowed");
  }
  return std::nullopt;
}

// Gate 3a: node count and element depth over the whole tree (pugixml's traverse is iterative).
class LimitWalker : public pugi::xml_tree_walker {
 public:
  explicit LimitWalker(const XmlLimits& limits) : limits_(limits) {}

  bool for_each(pugi::xml_node& node) override {
    if (node.type() == pugi::node_doctype) return stop("DOCTYPE is not allowed");
    if (++nodes_ > limits_.max_nodes) {
      return stop("more than " + std::to_string(limits_.max_nodes) + " XML nodes");
    }
    // depth() is 0 for the document's children; every ancestor of a node is an element.
    const auto element_depth = static_cast<std::size_t>(depth()) + 1;
    if (node.type() == pugi::node_element && element_depth > limits_.max_depth) {
      return stop("elements nested deeper than " + std::to_string(limits_.max_depth));
    }
    return true;
  }

  std::optional<ParseError> error;

 private:
  bool stop(std::string detail) {
    error = invalid(std::move(detail));
    return false;
  }

  const XmlLimits& limits_;
  std::size_t nodes_ = 0;
};

// Gate 3b: exactly one element at the top, named tunnel; an <?xml?> declaration only first.
std::optional<ParseError> find_root(const pugi::xml_document& doc, pugi::xml_node& root) {
  bool first = true;
  for (pugi::xml_node node : doc.children()) {
    switch (node.type()) {
      case pugi::node_element:
        if (root) return invalid("more than one root element");
        root = node;
        break;
      case pugi::node_declaration:
        if (!first) return invalid("XML declaration after the first node");
        break;
      case pugi::node_pcdata:
      case pugi::node_cdata:
        return invalid("text outside the root element");
      default:  // comments and processing instructions are not kept by kParseFlags
        break;
    }
    first = false;
  }
  if (!root) return invalid("no root element");
  if (std::string_view(root.name()) != "tunnel") {
    return invalid("root element <" + printable(root.name()) + "> is not <tunnel>");
  }
  return std::nullopt;
}

std::optional<ParseError> check_tree(pugi::xml_document& doc, const XmlLimits& limits,
                                     pugi::xml_node& root) {
  LimitWalker walker(limits);
  doc.traverse(walker);  // non-const in pugixml's API, but it only reads
  if (walker.error) return walker.error;
  return find_root(doc, root);
}

}  // namespace

dstm::Expected<TunnelMessage, ParseError> parse_tunnel(std::string_view xml,
                                                       const XmlLimits& limits) {
  if (auto error = prescan(xml, limits)) return dstm::unexpected(std::move(*error));

  pugi::xml_document doc;
  const pugi::xml_parse_result result =
      doc.load_buffer(xml.data(), xml.size(), kParseFlags, pugi::encoding_utf8);
  if (!result) {
    return dstm::unexpected(invalid(std::string("malformed XML: ") + result.description() +
                                    " at offset " + std::to_string(result.offset)));
  }

  pugi::xml_node root;
  if (auto error = check_tree(doc, limits, root)) return dstm::unexpected(std::move(*error));

  XmlReader reader;
  TunnelMessage message = reader.tunnel(root);
  if (reader.error()) return dstm::unexpected(*reader.error());
  return message;
}

}  // namespace dstm::tsp

// The <tunnel> message on the wire: a guarded parser that takes every form real clients and
// servers send, and a serializer that writes the exact bytes real clients expect.
// Framing (Content-length, status line) is not done here: the input is the XML text only and the
// output ends with "</tunnel>\r\n" (tsp-digest.md §2.4).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "tsp/message/tunnel.h"
#include "tsp/status.h"
#include "util/expected.h"

namespace dstm::tsp {

// Bounds checked before any interpretation. Depth counts elements: <tunnel> is 1, the deepest
// real message (tunnel/client/router/dns_server/address) is 5. Nodes count every node pugixml
// builds (elements, text, CDATA, the <?xml?> declaration).
struct XmlLimits {
  std::size_t max_bytes = 16384;
  std::size_t max_depth = 8;
  std::size_t max_nodes = 256;
};

struct ParseError {
  Status status;       // what to answer: kInvalidRequest, kUnsupportedTunnelType, ...
  std::string detail;  // for logs only, never sent
};

// Parses one <tunnel> document. Lenient where real clients differ (whitespace, CRLF or LF or
// none, a <?xml?> declaration, comments, unknown elements and attributes, value case) and strict
// where a message could be hostile or ambiguous:
//   kInvalidRequest         — too large/deep/many nodes, DOCTYPE, character references (&#..;),
//                             control characters, malformed XML, root other than one <tunnel>,
//                             missing/unknown action, bad number, unknown address type, proxy
//                             other than yes/no, a repeated singleton element or attribute
//   kUnsupportedTunnelType  — a type attribute that names no known tunnel type
//   kMissingPrefixLen       — <prefix> without a length attribute
// Address text is trimmed but its syntax is not checked (that is the profile's job: 309/501).
dstm::Expected<TunnelMessage, ParseError> parse_tunnel(std::string_view xml,
                                                       const XmlLimits& limits = {});

enum class XmlStyle {
  // gogoc 1.2's request layout (xml_req.c): attributes action, type, proxy; client children
  // address, keepalive, router; addresses inside <keepalive> and <dns_server> indented two
  // spaces deeper than their parent (tsp-digest.md §2, §3.4).
  kClientRequest,
  // The answer layout gogoc accepted (tsp-digest.md §2, §3.4): attributes action, type,
  // lifetime; endpoint children address, dns_server, router, keepalive; one space per level.
  kServerReply,
};

// Exact bytes: no prolog, double quotes, CRLF line ends, ends with "</tunnel>\r\n". An element
// with no children is written on one line ("<tunnel action=\"accept\"></tunnel>\r\n"), a
// <prefix> without a value self-closes. &, <, > and " are escaped in text and attributes.
std::string serialize_tunnel(const TunnelMessage& message, XmlStyle style);

}  // namespace dstm::tsp

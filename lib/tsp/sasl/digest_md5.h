// DIGEST-MD5 (RFC 2831) as TSP uses it: md5-sess, qop=auth, no integrity or privacy layer.
// The computation and the directive parser are public so tests can replay RFC 2831 §4 (whose
// digest-uri is "imap/..."); the "tsp/" service rule is applied by the server mechanism.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tsp/sasl/crypto.h"

namespace dstm::tsp::sasl {

// RFC 2831 §2.1.2.1: H({ username-value, ":", realm-value, ":", passwd }), the 16 raw bytes
// that start A1 (what the credentials store keeps instead of the password). The strings are
// hashed as their bytes, as gogoc does (it never converts to ISO 8859-1).
Md5Digest digest_md5_ha1(std::string_view username, std::string_view realm,
                         std::string_view password);

struct DigestMd5Params {
  Md5Digest ha1{};
  std::string_view nonce;
  std::string_view cnonce;
  std::string_view nc = "00000001";
  std::string_view qop = "auth";
  std::string_view digest_uri;
  std::string_view authzid;  // empty: none (TSP clients never send one)
};

// response-value (RFC 2831 §2.1.2.1), A2 = "AUTHENTICATE:" digest-uri; 32 lower-case hex.
std::string digest_md5_response(const DigestMd5Params& p);
// response-auth's rspauth value (RFC 2831 §2.1.3), A2 = ":" digest-uri; 32 lower-case hex.
std::string digest_md5_rspauth(const DigestMd5Params& p);

// One "name=value" of a challenge or response; names are lower-cased, values unquoted.
using DigestDirectives = std::vector<std::pair<std::string, std::string>>;

// RFC 2831 §7.1 "#rule" lists: name=value elements separated by commas, optional linear white
// space around elements and '=', empty elements allowed; values are tokens or quoted-strings
// whose "\x" quoted-pairs stand for x (§7.2). nullopt on any syntax error.
std::optional<DigestDirectives> parse_digest_directives(std::string_view text);

// A quoted-string for `value`: '"' and '\' escaped with '\' (RFC 2831 §7.2).
std::string digest_quote(std::string_view value);

// The TSP challenge text, byte for byte the tsps server's (tsp-digest.md §2.3):
// realm="<realm>",nonce="<nonce>",qop=auth,algorithm=md5-sess,charset=utf8
// (realm="..." left out when the realm is empty: RFC 2831 lets the client use its own.)
std::string digest_md5_challenge(std::string_view realm, std::string_view nonce);

}  // namespace dstm::tsp::sasl

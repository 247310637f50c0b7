// DIGEST-MD5's computations and text forms (RFC 2831), shared by the server and the client in
// digest_md5.cpp and tested on their own against RFC 2831 §4.
#include <cctype>

#include "tsp/sasl/digest_md5.h"

namespace dstm::tsp::sasl {
namespace {

std::string hex_md5(std::string_view data) {
  return hex_encode(as_view(md5(data)));
}

// RFC 2831 §2.1.2.1: A1 = { H({username ":" realm ":" passwd}), ":", nonce, ":", cnonce
// [, ":", authzid] }; response = HEX(KD(HEX(H(A1)), {nonce ":" nc ":" cnonce ":" qop ":"
// HEX(H(A2))})) with KD(k, s) = H({k, ":", s}). `a2_prefix` is "AUTHENTICATE" for the client's
// response and "" for the server's rspauth (§2.1.3), so A2 = a2_prefix ":" digest-uri.
std::string compute(const DigestMd5Params& p, std::string_view a2_prefix) {
  std::string a1(as_view(p.ha1));
  a1.append(":").append(p.nonce).append(":").append(p.cnonce);
  if (!p.authzid.empty()) a1.append(":").append(p.authzid);
  std::string a2(a2_prefix);
  a2.append(":").append(p.digest_uri);
  std::string kd = hex_md5(a1);
  kd.append(":").append(p.nonce).append(":").append(p.nc).append(":").append(p.cnonce);
  kd.append(":").append(p.qop).append(":").append(hex_md5(a2));
  return hex_md5(kd);
}

bool is_lws(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
}

// A small cursor over the directive list text.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }
  void skip_lws() {
    while (!at_end() && is_lws(peek())) ++pos_;
  }
  bool consume(char c) {
    if (at_end() || peek() != c) return false;
    ++pos_;
    return true;
  }

  std::optional<std::string> name() {
    std::string out;
    while (!at_end() && is_name_char(peek())) {
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(peek()))));
      ++pos_;
    }
    if (out.empty()) return std::nullopt;
    return out;
  }

  // RFC 2831 §7.2 quoted-string with "\x" quoted-pairs; the opening '"' already consumed.
  std::optional<std::string> quoted_rest() {
    std::string out;
    while (!at_end()) {
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (c == '\\') {
        if (at_end()) return std::nullopt;
        out.push_back(text_[pos_++]);
      } else {
        out.push_back(c);
      }
    }
    return std::nullopt;  // no closing quote
  }

  // A token value. Broader than RFC 2616's token (it admits '/', ':', '@' ...) because some
  // clients leave digest-uri and realm unquoted.
  std::optional<std::string> bare_value() {
    std::string out;
    while (!at_end() && peek() != ',' && peek() != '"' && !is_lws(peek())) {
      if (static_cast<unsigned char>(peek()) < 0x20 || peek() == 0x7f) return std::nullopt;
      out.push_back(text_[pos_++]);
    }
    if (out.empty()) return std::nullopt;
    return out;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

std::optional<std::pair<std::string, std::string>> parse_element(Scanner& s) {
  auto name = s.name();
  if (!name) return std::nullopt;
  s.skip_lws();
  if (!s.consume('=')) return std::nullopt;
  s.skip_lws();
  auto value = s.consume('"') ? s.quoted_rest() : s.bare_value();
  if (!value) return std::nullopt;
  return std::make_pair(std::move(*name), std::move(*value));
}

}  // namespace

Md5Digest digest_md5_ha1(std::string_view username, std::string_view realm,
                         std::string_view password) {
  std::string a1_1(username);
  a1_1.append(":").append(realm).append(":").append(password);
  return md5(a1_1);
}

std::string digest_md5_response(const DigestMd5Params& p) {
  return compute(p, "AUTHENTICATE");
}

std::string digest_md5_rspauth(const DigestMd5Params& p) {
  return compute(p, "");
}

std::optional<DigestDirectives> parse_digest_directives(std::string_view text) {
  DigestDirectives out;
  Scanner s(text);
  for (;;) {
    s.skip_lws();
    if (s.at_end()) return out;
    if (s.consume(',')) continue;  // §7.1: empty list elements are allowed
    auto element = parse_element(s);
    if (!element) return std::nullopt;
    out.push_back(std::move(*element));
    s.skip_lws();
    if (!s.at_end() && !s.consume(',')) return std::nullopt;
  }
}

std::string digest_quote(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string digest_md5_challenge(std::string_view realm, std::string_view nonce) {
  std::string out;
  if (!realm.empty()) out.append("realm=").append(digest_quote(realm)).append(",");
  out.append("nonce=").append(digest_quote(nonce));
  out.append(",qop=auth,algorithm=md5-sess,charset=utf8");
  return out;
}

}  // namespace dstm::tsp::sasl

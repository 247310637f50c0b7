#include "tsp/sasl/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <climits>
#include <cstdio>
#include <cstdlib>

namespace dstm::tsp::sasl {
namespace {

// See the failure policy in crypto.h: a hash that cannot be computed stops the process.
[[noreturn]] void crypto_unavailable(const char* what) {
  std::fprintf(stderr, "dstm: OpenSSL cannot compute %s; refusing to continue\n", what);
  std::abort();
}

const unsigned char* bytes_of(std::string_view s) {
  // A non-null pointer even for empty input: OpenSSL's HMAC treats a null key as "keep the
  // previous key" and would fail on a fresh context.
  static const unsigned char kEmpty = 0;
  return s.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(s.data());
}

template <std::size_t N>
std::array<std::uint8_t, N> one_shot_digest(const char* name, std::string_view data) {
  std::array<std::uint8_t, N> out{};
  std::size_t out_len = 0;
  if (EVP_Q_digest(nullptr, name, nullptr, bytes_of(data), data.size(), out.data(), &out_len) !=
          1 ||
      out_len != N) {
    crypto_unavailable(name);
  }
  return out;
}

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The 6-bit value of a base64 alphabet character, or -1.
int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Md5Digest md5(std::string_view data) {
  return one_shot_digest<16>("MD5", data);
}

Sha256Digest sha256(std::string_view data) {
  return one_shot_digest<32>("SHA256", data);
}

Sha256Digest hmac_sha256(std::string_view key, std::string_view data) {
  Sha256Digest out{};
  std::size_t out_len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, bytes_of(key), key.size(),
                bytes_of(data), data.size(), out.data(), out.size(), &out_len) == nullptr ||
      out_len != out.size()) {
    crypto_unavailable("HMAC-SHA256");
  }
  return out;
}

Expected<std::string, std::string> pbkdf2_hmac_sha256(std::string_view password,
                                                      std::string_view salt,
                                                      std::uint32_t iterations,
                                                      std::size_t length) {
  constexpr auto kIntMax = static_cast<std::size_t>(INT_MAX);
  if (iterations == 0) return unexpected(std::string("PBKDF2 needs at least one iteration"));
  if (password.size() > kIntMax || salt.size() > kIntMax || iterations > kIntMax || length == 0 ||
      length > kIntMax) {
    return unexpected(std::string("PBKDF2 parameter out of range"));
  }
  std::string out(length, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), bytes_of(salt),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                        static_cast<int>(length),
                        reinterpret_cast<unsigned char*>(out.data())) != 1) {
    crypto_unavailable("PBKDF2-HMAC-SHA256");
  }
  return out;
}

Expected<std::string, std::string> random_bytes(std::size_t count) {
  std::string out(count, '\0');
  if (count > static_cast<std::size_t>(INT_MAX)) {
    return unexpected(std::string("random_bytes: count too large"));
  }
  if (count != 0 &&
      RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1) {
    return unexpected(std::string("RAND_bytes failed: no randomness available"));
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hex_encode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0f]);
  }
  return out;
}

std::optional<std::string> hex_decode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = hex_value(hex[i]);
    const int lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>((hi << 4) | lo));
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto byte_at = [&](std::size_t k) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k]));
  };
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (byte_at(i) << 16) | (byte_at(i + 1) << 8) | byte_at(i + 2);
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(kBase64Alphabet[(v >> shift) & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 0) return out;
  std::uint32_t v = byte_at(i) << 16;
  if (rest == 2) v |= byte_at(i + 1) << 8;
  out.push_back(kBase64Alphabet[(v >> 18) & 63]);
  out.push_back(kBase64Alphabet[(v >> 12) & 63]);
  out.push_back(rest == 2 ? kBase64Alphabet[(v >> 6) & 63] : '=');
  out.push_back('=');
  return out;
}

// A hand-written decoder rather than EVP_DecodeBlock: that one skips whitespace, accepts
// non-canonical input and reports a length that ignores the '=' padding.
std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  const std::size_t data_chars = text.size() - padding;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < data_chars; ++i) {
    const int v = base64_value(text[i]);
    if (v < 0) return std::nullopt;  // bad character, whitespace, or '=' in the middle
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // RFC 4648 §3.5: the bits left over before the padding must be zero.
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string OpenSslNonceSource::nonce(std::size_t bytes) {
  auto random = random_bytes(bytes);
  if (!random || bytes == 0) return {};
  return hex_encode(*random);
}

bool is_usable_nonce(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < 0x21 || c > 0x7e || c == ',' || c == '"' || c == '\\') return false;
  }
  return true;
}

}  // namespace dstm::tsp::sasl

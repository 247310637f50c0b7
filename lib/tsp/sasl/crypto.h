// Crypto helpers for the TSP SASL mechanisms: hashes, HMAC, PBKDF2, randomness, encodings.
//
// Everything goes through OpenSSL 3's EVP interfaces (no deprecated MD5()/HMAC() calls).
//
// Failure policy: MD5, SHA-256, HMAC-SHA-256 and PBKDF2 with valid parameters can only fail
// inside OpenSSL when the library itself is unusable (allocation failure, or a provider without
// the algorithm, e.g. MD5 under a FIPS-only configuration). Authenticating on a garbage digest
// would be worse than stopping, so those functions abort with a message naming the algorithm.
// Randomness can fail for environmental reasons, so it reports failure as a value.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/expected.h"

namespace dstm::tsp::sasl {

using Md5Digest = std::array<std::uint8_t, 16>;
using Sha256Digest = std::array<std::uint8_t, 32>;

// The bytes of a digest as a string_view (for feeding one digest into the next hash or HMAC).
template <std::size_t N>
std::string_view as_view(const std::array<std::uint8_t, N>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), N};
}

// The bytes of a digest as an owned string.
template <std::size_t N>
std::string as_string(const std::array<std::uint8_t, N>& bytes) {
  return std::string(as_view(bytes));
}

// Copies exactly N bytes of `bytes` into an array; nullopt when the length differs.
template <std::size_t N>
std::optional<std::array<std::uint8_t, N>> to_array(std::string_view bytes) {
  if (bytes.size() != N) return std::nullopt;
  std::array<std::uint8_t, N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = static_cast<std::uint8_t>(bytes[i]);
  return out;
}

Md5Digest md5(std::string_view data);
Sha256Digest sha256(std::string_view data);
// RFC 2104 HMAC with SHA-256 (RFC 4231 gives the test vectors). Any key length, including 0.
Sha256Digest hmac_sha256(std::string_view key, std::string_view data);

// RFC 8018 §5.2 PBKDF2 with HMAC-SHA-256 as the PRF: `length` bytes of derived key.
// Fails (as a value) for iterations == 0 or inputs longer than OpenSSL's int lengths.
Expected<std::string, std::string> pbkdf2_hmac_sha256(std::string_view password,
                                                      std::string_view salt,
                                                      std::uint32_t iterations,
                                                      std::size_t length = 32);

// `count` bytes from OpenSSL's CSPRNG (RAND_bytes).
Expected<std::string, std::string> random_bytes(std::size_t count);

// Equal length and equal bytes, in time that depends only on the length (CRYPTO_memcmp). The
// lengths are compared first: they are public (a MAC or digest has a fixed size).
bool constant_time_equal(std::string_view a, std::string_view b);

// Lower-case hex ("0a1b..."). Decoding accepts either case; nullopt on odd length or a non-hex
// character.
std::string hex_encode(std::string_view bytes);
std::optional<std::string> hex_decode(std::string_view hex);

// RFC 4648 §4 base64 with '=' padding.
std::string base64_encode(std::string_view bytes);
// Strict RFC 4648 §4 decoding: the length is a multiple of 4, only the base64 alphabet, '=' only
// as the last one or two characters, no whitespace anywhere, and the unused bits before the
// padding are zero (§3.5), so every input has one canonical encoding. "" decodes to "".
std::optional<std::string> base64_decode(std::string_view text);

// Where the mechanisms get their nonces (and make_user_record its salts). Tests inject fixed
// nonces to replay published exchanges.
class NonceSource {
 public:
  virtual ~NonceSource() = default;
  // Printable nonce text carrying `bytes` bytes of randomness. The text must be ASCII 0x21-0x7e
  // without ',', '"' or '\' (so it fits SCRAM's r= and DIGEST-MD5's quoted nonce unescaped);
  // "" when no randomness is available (the mechanisms then fail rather than reuse a nonce).
  virtual std::string nonce(std::size_t bytes) = 0;
};

// The default: RAND_bytes, hex-encoded (2 * bytes characters).
class OpenSslNonceSource final : public NonceSource {
 public:
  std::string nonce(std::size_t bytes) override;
};

// True when `text` meets the NonceSource contract above (non-empty, printable, no , " \).
bool is_usable_nonce(std::string_view text);

}  // namespace dstm::tsp::sasl

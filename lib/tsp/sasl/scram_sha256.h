// SCRAM-SHA-256 (RFC 5802 with RFC 7677's hash), without channel binding. The message
// grammar helpers are public for tests; the mechanisms themselves come from mechanism.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tsp/sasl/crypto.h"
#include "util/expected.h"

namespace dstm::tsp::sasl {

// RFC 5802 §3 key schedule from the password:
//   SaltedPassword = Hi(password, salt, i)   (PBKDF2-HMAC-SHA-256, RFC 7677)
//   ClientKey = HMAC(SaltedPassword, "Client Key"), StoredKey = H(ClientKey),
//   ServerKey = HMAC(SaltedPassword, "Server Key")
struct ScramKeys {
  Sha256Digest client_key{};
  Sha256Digest stored_key{};
  Sha256Digest server_key{};
};
Expected<ScramKeys, std::string> scram_derive_keys(std::string_view password, std::string_view salt,
                                                   std::uint32_t iterations);

// RFC 5802 §5.1 saslname: ',' -> "=2C", '=' -> "=3D".
std::string scram_escape_name(std::string_view name);
// The inverse; nullopt for any other '=' sequence (the RFC says the server MUST fail then) or
// an empty name.
std::optional<std::string> scram_unescape_name(std::string_view saslname);

// RFC 5802 §3: ClientSignature = HMAC(StoredKey, AuthMessage),
// ClientProof = ClientKey XOR ClientSignature.
Sha256Digest scram_client_proof(const Sha256Digest& client_key, std::string_view auth_message);
// The server's check of a proof (RFC 5802 §3): ClientKey = ClientProof XOR ClientSignature, then
// H(ClientKey) must equal StoredKey (constant time).
bool scram_proof_matches(const Sha256Digest& stored_key, std::string_view auth_message,
                         std::string_view proof);
// ServerSignature = HMAC(ServerKey, AuthMessage).
Sha256Digest scram_server_signature(const Sha256Digest& server_key, std::string_view auth_message);

}  // namespace dstm::tsp::sasl

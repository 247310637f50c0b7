// SCRAM-SHA-256's key schedule, proofs and saslname escaping (RFC 5802 §3, §5.1; RFC 7677).
#include "tsp/sasl/scram_sha256.h"

namespace dstm::tsp::sasl {
namespace {

constexpr std::string_view kClientKeyLabel = "Client Key";
constexpr std::string_view kServerKeyLabel = "Server Key";

Sha256Digest xor_digests(const Sha256Digest& a, const Sha256Digest& b) {
  Sha256Digest out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(a[i] ^ b[i]);
  return out;
}

}  // namespace

Expected<ScramKeys, std::string> scram_derive_keys(std::string_view password, std::string_view salt,
                                                   std::uint32_t iterations) {
  auto salted = pbkdf2_hmac_sha256(password, salt, iterations, 32);
  if (!salted) return unexpected(salted.error());
  ScramKeys keys;
  keys.client_key = hmac_sha256(*salted, kClientKeyLabel);
  keys.stored_key = sha256(as_view(keys.client_key));
  keys.server_key = hmac_sha256(*salted, kServerKeyLabel);
  return keys;
}

std::string scram_escape_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == ',') {
      out += "=2C";
    } else if (c == '=') {
      out += "=3D";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<std::string> scram_unescape_name(std::string_view saslname) {
  std::string out;
  for (std::size_t i = 0; i < saslname.size(); ++i) {
    if (saslname[i] != '=') {
      out.push_back(saslname[i]);
      continue;
    }
    const std::string_view code = saslname.substr(i + 1, 2);
    if (code == "2C") {
      out.push_back(',');
    } else if (code == "3D") {
      out.push_back('=');
    } else {
      return std::nullopt;  // §5.1: any other "=" sequence MUST make the server fail
    }
    i += 2;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

// RFC 5802 §3: ClientSignature = HMAC(StoredKey, AuthMessage);
// ClientProof = ClientKey XOR ClientSignature.
Sha256Digest scram_client_proof(const Sha256Digest& client_key, std::string_view auth_message) {
  const Sha256Digest stored_key = sha256(as_view(client_key));
  return xor_digests(client_key, hmac_sha256(as_view(stored_key), auth_message));
}

// RFC 5802 §3: the server recovers ClientKey = ClientProof XOR ClientSignature and checks
// H(ClientKey) against its StoredKey.
bool scram_proof_matches(const Sha256Digest& stored_key, std::string_view auth_message,
                         std::string_view proof) {
  const auto proof_bytes = to_array<32>(proof);
  if (!proof_bytes) return false;
  const Sha256Digest signature = hmac_sha256(as_view(stored_key), auth_message);
  const Sha256Digest client_key = xor_digests(*proof_bytes, signature);
  return constant_time_equal(as_view(sha256(as_view(client_key))), as_view(stored_key));
}

Sha256Digest scram_server_signature(const Sha256Digest& server_key, std::string_view auth_message) {
  return hmac_sha256(as_view(server_key), auth_message);
}

}  // namespace dstm::tsp::sasl

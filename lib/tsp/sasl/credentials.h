// Who may authenticate: per-user SCRAM-SHA-256 verifiers and DIGEST-MD5 HA1 values, never
// plaintext passwords. PLAIN is checked against the SCRAM verifier, or else the HA1.
//
// ---- Credentials file (README: "TSP users file") -------------------------------------------
// One user per line; blank lines and lines starting with '#' (after leading blanks) are
// ignored. Fields are separated by spaces or tabs:
//
//   <username> [scram-sha-256:<iterations>:<salt>:<StoredKey>:<ServerKey>]
//              [digest-md5:<realm>:<HA1>]
//
//   username    no spaces, tabs or control characters; must not start with '#'; each user once
//   scram-sha-256  RFC 5802 §3 verifier: iterations in decimal (4096 .. 10000000), salt,
//               StoredKey and ServerKey in base64 (the keys decode to 32 bytes each)
//   digest-md5  RFC 2831 §2.1.2.1 HA1 = MD5(username ":" realm ":" password) as 32 hex digits,
//               valid only for that realm (the server's realm option, "dstm" by default); the
//               realm may be empty ("digest-md5::<HA1>") but has no spaces
//
// At least one of the two fields, each at most once, in either order. Example:
//   alice scram-sha-256:4096:c2FsdHNhbHQ=:<44 base64>:<44 base64> digest-md5:dstm:<32 hex>
// Lines are made by make_user_record + format_record_line (dstm's user tool). Errors name the
// file, line and field: "users.conf:3: scram-sha-256: StoredKey is not 32 bytes of base64".
// -----------------------------------------------------------------------------------------
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "tsp/sasl/crypto.h"
#include "util/expected.h"

namespace dstm::tsp::sasl {

// RFC 7677 §4: the iteration count SHOULD be at least 4096. We refuse less (files, servers).
inline constexpr std::uint32_t kMinScramIterations = 4096;
inline constexpr std::uint32_t kDefaultScramIterations = 4096;
// Bounds the work a credentials file or a server's i= can demand of us.
inline constexpr std::uint32_t kMaxScramIterations = 10'000'000;

struct ScramVerifier {
  std::string salt;  // raw bytes
  std::uint32_t iterations = kDefaultScramIterations;
  std::array<std::uint8_t, 32> stored_key{};  // H(ClientKey)
  std::array<std::uint8_t, 32> server_key{};  // HMAC(SaltedPassword, "Server Key")
};

struct UserRecord {
  std::string username;
  std::optional<ScramVerifier> scram;
  std::string digest_realm;  // the realm digest_ha1 was made for
  std::optional<std::array<std::uint8_t, 16>> digest_ha1;
};

class CredentialStore {
 public:
  virtual ~CredentialStore() = default;
  virtual std::optional<UserRecord> find(std::string_view username) const = 0;
};

class MemoryCredentialStore : public CredentialStore {
 public:
  // Adds a user; false (and no change) when the name is already there.
  bool add(UserRecord record);
  std::optional<UserRecord> find(std::string_view username) const override;
  std::size_t size() const { return users_.size(); }

 private:
  std::map<std::string, UserRecord, std::less<>> users_;
};

// The credentials file above, read once (load again to pick up changes).
class FileCredentialStore : public CredentialStore {
 public:
  static Expected<FileCredentialStore, std::string> load(const std::string& path);
  // The same parser over text already in memory; `source` stands for the path in errors.
  static Expected<FileCredentialStore, std::string> parse(std::string_view text,
                                                          std::string_view source);
  std::optional<UserRecord> find(std::string_view username) const override;
  std::size_t size() const { return users_.size(); }

 private:
  MemoryCredentialStore users_;
};

// True when `username` can stand in the credentials file (see the format above).
bool is_storable_username(std::string_view username);

// RFC 5802 §3: SaltedPassword = PBKDF2(password, salt, i); StoredKey = H(HMAC(SaltedPassword,
// "Client Key")); ServerKey = HMAC(SaltedPassword, "Server Key"). The password is used as its
// UTF-8 bytes (no SASLprep), as every TSP client does.
Expected<ScramVerifier, std::string> make_scram_verifier(std::string_view password,
                                                         std::string_view salt,
                                                         std::uint32_t iterations);

// A record for `username`: a SCRAM verifier with a fresh salt from `salts` (16 random bytes) and
// max(scram_iterations, kMinScramIterations) iterations (none when scram_iterations is 0), and
// the DIGEST-MD5 HA1 for `digest_realm` (none when digest_realm is empty). When `salts` yields
// no randomness the record has no SCRAM verifier.
UserRecord make_user_record(std::string_view username, std::string_view password,
                            std::string_view digest_realm, std::uint32_t scram_iterations,
                            NonceSource& salts);

// The record as one credentials-file line (no newline); the inverse of the file parser.
std::string format_record_line(const UserRecord& record);

// PLAIN's check: recompute StoredKey from the password (SCRAM verifier), else HA1; compare in
// constant time. False when the record has neither.
bool verify_password(const UserRecord& record, std::string_view password);

// What an unknown user looks like, so a probe cannot tell it from a real one: salt and keys
// derived from HMAC(secret, username) (stable across attempts), `iterations` like real users.
// No password matches it except by breaking HMAC.
ScramVerifier unknown_user_verifier(std::string_view username, std::string_view secret,
                                    std::uint32_t iterations);

// A random secret made once per process (for ServerOptions::unknown_user_secret when unset).
const std::string& process_secret();

}  // namespace dstm::tsp::sasl

#include "tsp/sasl/credentials.h"

#include "util/strings.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "tsp/sasl/digest_md5.h"
#include "tsp/sasl/scram_sha256.h"

namespace dstm::tsp::sasl {
namespace {

constexpr std::string_view kScramField = "scram-sha-256:";
constexpr std::string_view kDigestField = "digest-md5:";
constexpr std::size_t kSaltBytes = 16;

// "scram-sha-256:<iterations>:<salt>:<StoredKey>:<ServerKey>" without its prefix.
Expected<ScramVerifier, std::string> parse_scram_field(std::string_view value) {
  const auto parts = dstm::split(value, ':');
  if (parts.size() != 4) {
    return unexpected(std::string("expected <iterations>:<salt>:<StoredKey>:<ServerKey>"));
  }
  ScramVerifier v;
  const std::string_view count = parts[0];
  const auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), v.iterations);
  const bool all_digits = !count.empty() && end == count.data() + count.size();
  if (!all_digits || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    return unexpected(std::string("iterations is not a decimal number"));
  }
  if (ec == std::errc::result_out_of_range || v.iterations < kMinScramIterations ||
      v.iterations > kMaxScramIterations) {
    return unexpected(std::string("iterations must be 4096 to 10000000"));
  }
  auto salt = base64_decode(parts[1]);
  if (!salt || salt->empty()) return unexpected(std::string("salt is not base64"));
  v.salt = std::move(*salt);
  const auto stored = base64_decode(parts[2]);
  const auto stored_key = stored ? to_array<32>(*stored) : std::nullopt;
  if (!stored_key) return unexpected(std::string("StoredKey is not 32 bytes of base64"));
  const auto server = base64_decode(parts[3]);
  const auto server_key = server ? to_array<32>(*server) : std::nullopt;
  if (!server_key) return unexpected(std::string("ServerKey is not 32 bytes of base64"));
  v.stored_key = *stored_key;
  v.server_key = *server_key;
  return v;
}

// "digest-md5:<realm>:<HA1 hex>" without its prefix; the realm is what precedes the last ':'.
Expected<void, std::string> parse_digest_field(std::string_view value, UserRecord& record) {
  const std::size_t colon = value.rfind(':');
  if (colon == std::string_view::npos) return unexpected(std::string("expected <realm>:<HA1>"));
  const auto bytes = hex_decode(value.substr(colon + 1));
  const auto ha1 = bytes ? to_array<16>(*bytes) : std::nullopt;
  if (!ha1) return unexpected(std::string("HA1 is not 32 hex digits"));
  record.digest_realm = std::string(value.substr(0, colon));
  record.digest_ha1 = *ha1;
  return {};
}

// One credentials field into `record`; the error is "<field>: <problem>".
Expected<void, std::string> parse_field(std::string_view token, UserRecord& record) {
  if (token.substr(0, kScramField.size()) == kScramField) {
    if (record.scram) return unexpected(std::string("scram-sha-256: given twice"));
    auto v = parse_scram_field(token.substr(kScramField.size()));
    if (!v) return unexpected("scram-sha-256: " + v.error());
    record.scram = std::move(*v);
    return {};
  }
  if (token.substr(0, kDigestField.size()) == kDigestField) {
    if (record.digest_ha1) return unexpected(std::string("digest-md5: given twice"));
    auto r = parse_digest_field(token.substr(kDigestField.size()), record);
    if (!r) return unexpected("digest-md5: " + r.error());
    return {};
  }
  const std::string_view name = token.substr(0, token.find(':'));
  return unexpected("unknown field '" + std::string(name) +
                    "' (expected scram-sha-256: or digest-md5:)");
}

// A non-comment line into a record; the error is "<field>: <problem>".
Expected<UserRecord, std::string> parse_line(std::string_view line) {
  const auto tokens = dstm::split_words(line);
  UserRecord record;
  record.username = std::string(tokens[0]);
  if (!is_storable_username(record.username)) {
    return unexpected(std::string("username: contains a control character"));
  }
  if (tokens.size() == 1) {
    return unexpected(std::string("username: no scram-sha-256: or digest-md5: field"));
  }
  for (std::size_t i = 1; i < tokens.size(); ++i) {
    auto r = parse_field(tokens[i], record);
    if (!r) return unexpected(r.error());
  }
  return record;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

bool is_comment_or_blank(std::string_view line) {
  const std::size_t first = line.find_first_not_of(" \t");
  return first == std::string_view::npos || line[first] == '#';
}

// A salt is any bytes (RFC 5802 §5.1). The default nonce source gives hex, which we decode so
// real salts are kSaltBytes raw bytes like unknown_user_verifier's decoys (same base64 length);
// other nonce text (tests) is used as it is.
std::string salt_from_nonce(const std::string& nonce) {
  auto raw = nonce.size() == 2 * kSaltBytes ? hex_decode(nonce) : std::nullopt;
  return raw ? std::move(*raw) : nonce;
}

}  // namespace

bool MemoryCredentialStore::add(UserRecord record) {
  const std::string name = record.username;
  return users_.emplace(name, std::move(record)).second;
}

std::optional<UserRecord> MemoryCredentialStore::find(std::string_view username) const {
  const auto it = users_.find(username);
  if (it == users_.end()) return std::nullopt;
  return it->second;
}

Expected<FileCredentialStore, std::string> FileCredentialStore::load(const std::string& path) {
  // stdio rather than ifstream: it reports EISDIR and read errors instead of an empty file.
  const std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) return unexpected(path + ": cannot open: " + std::strerror(errno));
  std::string text;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) text.append(buffer, n);
  if (std::ferror(file.get()) != 0) {
    return unexpected(path + ": cannot read: " + std::strerror(errno));
  }
  return parse(text, path);
}

Expected<FileCredentialStore, std::string> FileCredentialStore::parse(std::string_view text,
                                                                      std::string_view source) {
  FileCredentialStore store;
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (is_comment_or_blank(line)) continue;
    const std::string where = std::string(source) + ":" + std::to_string(line_number) + ": ";
    auto record = parse_line(line);
    if (!record) return unexpected(where + record.error());
    const std::string name = record->username;
    if (!store.users_.add(std::move(*record))) {
      return unexpected(where + "username: '" + name + "' appears twice");
    }
  }
  return store;
}

std::optional<UserRecord> FileCredentialStore::find(std::string_view username) const {
  return users_.find(username);
}

bool is_storable_username(std::string_view username) {
  if (username.empty() || username.front() == '#') return false;
  return std::none_of(username.begin(), username.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return b <= 0x20 || b == 0x7f;
  });
}

Expected<ScramVerifier, std::string> make_scram_verifier(std::string_view password,
                                                         std::string_view salt,
                                                         std::uint32_t iterations) {
  auto keys = scram_derive_keys(password, salt, iterations);
  if (!keys) return unexpected(keys.error());
  return ScramVerifier{std::string(salt), iterations, keys->stored_key, keys->server_key};
}

UserRecord make_user_record(std::string_view username, std::string_view password,
                            std::string_view digest_realm, std::uint32_t scram_iterations,
                            NonceSource& salts) {
  UserRecord record;
  record.username = std::string(username);
  if (scram_iterations != 0) {
    const std::string salt = salt_from_nonce(salts.nonce(kSaltBytes));
    const auto iterations = std::clamp(scram_iterations, kMinScramIterations, kMaxScramIterations);
    if (!salt.empty()) {
      auto verifier = make_scram_verifier(password, salt, iterations);
      if (verifier) record.scram = std::move(*verifier);
    }
  }
  if (!digest_realm.empty()) {
    record.digest_realm = std::string(digest_realm);
    record.digest_ha1 = digest_md5_ha1(username, digest_realm, password);
  }
  return record;
}

std::string format_record_line(const UserRecord& record) {
  std::string line = record.username;
  if (record.scram) {
    const ScramVerifier& v = *record.scram;
    line.append(" ").append(kScramField).append(std::to_string(v.iterations));
    line.append(":").append(base64_encode(v.salt));
    line.append(":").append(base64_encode(as_view(v.stored_key)));
    line.append(":").append(base64_encode(as_view(v.server_key)));
  }
  if (record.digest_ha1) {
    line.append(" ").append(kDigestField).append(record.digest_realm);
    line.append(":").append(hex_encode(as_view(*record.digest_ha1)));
  }
  return line;
}

bool verify_password(const UserRecord& record, std::string_view password) {
  if (record.scram) {
    const ScramVerifier& v = *record.scram;
    const auto keys = scram_derive_keys(password, v.salt, v.iterations);
    return keys && constant_time_equal(as_view(keys->stored_key), as_view(v.stored_key));
  }
  if (record.digest_ha1) {
    const Md5Digest ha1 = digest_md5_ha1(record.username, record.digest_realm, password);
    return constant_time_equal(as_view(ha1), as_view(*record.digest_ha1));
  }
  return false;
}

ScramVerifier unknown_user_verifier(std::string_view username, std::string_view secret,
                                    std::uint32_t iterations) {
  // Distinct labels keep the salt and the two keys independent of each other.
  auto derive = [&](std::string_view label) {
    std::string input(label);
    input.push_back('\0');
    input.append(username);
    return hmac_sha256(secret, input);
  };
  ScramVerifier v;
  v.salt = std::string(as_view(derive("dstm unknown-user salt")).substr(0, kSaltBytes));
  v.iterations = std::clamp(iterations, kMinScramIterations, kMaxScramIterations);
  v.stored_key = derive("dstm unknown-user stored-key");
  v.server_key = derive("dstm unknown-user server-key");
  return v;
}

const std::string& process_secret() {
  static const std::string secret = [] {
    auto bytes = random_bytes(32);
    // Without randomness only the unknown-user disguise weakens (nonces fail on their own).
    return bytes ? std::move(*bytes) : std::string("dstm: no randomness for process secret");
  }();
  return secret;
}

}  // namespace dstm::tsp::sasl

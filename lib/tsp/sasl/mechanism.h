// SASL mechanisms as TSP speaks them (tsp-digest.md §2.3), server and client side.
//
// A mechanism object sees raw SASL messages only: the TSP session reads the lines, strips the
// CRLF (and gogoc's stray NUL bytes), base64-decodes where base64_on_wire() says so, and turns
// ServerStep/ClientStep into TSP lines and status codes. One object per authentication attempt:
// after it has succeeded or failed it refuses everything, so its nonce cannot be reused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tsp/sasl/credentials.h"
#include "tsp/sasl/crypto.h"

namespace dstm::tsp::sasl {

enum class Mechanism { kAnonymous, kPlain, kDigestMd5, kScramSha256 };

// "ANONYMOUS", "PLAIN", "DIGEST-MD5", "SCRAM-SHA-256": the names in CAPABILITY's AUTH= tokens
// and in "AUTHENTICATE <name>".
std::string_view wire_name(Mechanism m);
// Case-insensitive, as gogoc compares AUTH= tokens (tsp_cap.c).
std::optional<Mechanism> mechanism_from_name(std::string_view name);
// PLAIN, SCRAM-SHA-256: the client's first message is the line after AUTHENTICATE.
// ANONYMOUS, DIGEST-MD5: the server answers AUTHENTICATE first.
bool client_speaks_first(Mechanism m);
// DIGEST-MD5, SCRAM-SHA-256: every SASL message is base64 on the wire. PLAIN: gogoc sends the
// raw "\0user\0pass" line. ANONYMOUS carries no SASL messages (false).
bool base64_on_wire(Mechanism m);

// No SASL message from either side may be longer than this (raw, before base64). Real ones are
// a few hundred bytes; the bound keeps a hostile peer from making us parse megabytes.
inline constexpr std::size_t kMaxSaslMessageBytes = 4096;

struct ServerStep {
  enum class Kind { kContinue, kSuccess, kFailure };
  Kind kind;
  // Raw SASL bytes for the client (the session base64-encodes when base64_on_wire): the
  // challenge on kContinue; on kSuccess the "additional data with success" (DIGEST-MD5
  // "rspauth=<hex>", SCRAM server-final "v=..."), empty when none. On kFailure SCRAM puts its
  // RFC 5802 §7 server-error here ("e=invalid-proof"); the session may send it or not.
  std::string message;
  // On kSuccess: the authenticated user name ("anonymous" for ANONYMOUS).
  std::string identity;
  // On kFailure: why, for the server log (never sent to the client).
  std::string reason;
};

class ServerMechanism {
 public:
  virtual ~ServerMechanism() = default;
  virtual Mechanism mechanism() const = 0;
  // Called first with "" for mechanisms where the server speaks first (ANONYMOUS -> kSuccess at
  // once; DIGEST-MD5 -> the challenge), or with the client's initial message for PLAIN/SCRAM;
  // then with each client message. After kSuccess/kFailure every further call returns kFailure
  // (nonces are single-use).
  virtual ServerStep step(std::string_view client_message) = 0;
};

struct ServerOptions {
  // DIGEST-MD5 realm (the store's HA1 values are per realm).
  std::string realm = "dstm";
  // Keys the fake SCRAM salt/keys shown for unknown users (so they look like real ones and stay
  // the same across attempts). Empty: a random secret made once per process.
  std::string unknown_user_secret;
  // The iteration count shown for unknown users: set it to what real users have.
  std::uint32_t unknown_user_iterations = kDefaultScramIterations;
};

// The store and nonce source must outlive the returned object.
std::unique_ptr<ServerMechanism> make_server_mechanism(Mechanism m, const ServerOptions& options,
                                                       const CredentialStore& store,
                                                       NonceSource& nonces);

struct ClientStep {
  enum class Kind { kSend, kDone, kFailure };
  Kind kind;
  std::string message;  // kSend: raw SASL bytes to send (the session base64-encodes)
  std::string reason;   // kFailure: why
};

class ClientMechanism {
 public:
  virtual ~ClientMechanism() = default;
  virtual Mechanism mechanism() const = 0;
  // PLAIN, SCRAM: the first message; ANONYMOUS, DIGEST-MD5: nullopt.
  virtual std::optional<std::string> initial_response() = 0;
  // A server message (already base64-decoded by the session) in; kSend = send `message`;
  // kDone = the server's final data verified (rspauth / v=), authentication complete pending
  // the server's 200; kFailure = server not authentic or malformed.
  virtual ClientStep step(std::string_view server_message) = 0;
};

struct ClientCredentials {
  std::string username;
  std::string password;
};

// digest_host: what goes after "tsp/" in DIGEST-MD5's digest-uri; gogoc uses its configured
// server= string verbatim (tsp-digest.md §2.3). The nonce source must outlive the object.
std::unique_ptr<ClientMechanism> make_client_mechanism(Mechanism m,
                                                       const ClientCredentials& credentials,
                                                       std::string_view digest_host,
                                                       NonceSource& nonces);

}  // namespace dstm::tsp::sasl

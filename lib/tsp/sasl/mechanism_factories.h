// Internal to lib/tsp/sasl: one factory per mechanism file, and the small helpers they share.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "tsp/sasl/credentials.h"
#include "tsp/sasl/crypto.h"
#include "tsp/sasl/mechanism.h"

namespace dstm::tsp::sasl::detail {

inline ServerStep server_continue(std::string challenge) {
  return {ServerStep::Kind::kContinue, std::move(challenge), {}, {}};
}
inline ServerStep server_success(std::string final_data, std::string identity) {
  return {ServerStep::Kind::kSuccess, std::move(final_data), std::move(identity), {}};
}
inline ServerStep server_failure(std::string reason, std::string error_data = {}) {
  return {ServerStep::Kind::kFailure, std::move(error_data), {}, std::move(reason)};
}
inline ClientStep client_send(std::string message) {
  return {ClientStep::Kind::kSend, std::move(message), {}};
}
inline ClientStep client_done() {
  return {ClientStep::Kind::kDone, {}, {}};
}
inline ClientStep client_failure(std::string reason) {
  return {ClientStep::Kind::kFailure, {}, std::move(reason)};
}

// The options' secret for unknown users, or the per-process one.
inline const std::string& unknown_user_secret(const ServerOptions& options) {
  return options.unknown_user_secret.empty() ? process_secret() : options.unknown_user_secret;
}

std::unique_ptr<ServerMechanism> make_anonymous_server();
std::unique_ptr<ServerMechanism> make_plain_server(const ServerOptions& options,
                                                   const CredentialStore& store);
std::unique_ptr<ServerMechanism> make_digest_md5_server(const ServerOptions& options,
                                                        const CredentialStore& store,
                                                        NonceSource& nonces);
std::unique_ptr<ServerMechanism> make_scram_sha256_server(const ServerOptions& options,
                                                          const CredentialStore& store,
                                                          NonceSource& nonces);

std::unique_ptr<ClientMechanism> make_anonymous_client();
std::unique_ptr<ClientMechanism> make_plain_client(const ClientCredentials& credentials);
std::unique_ptr<ClientMechanism> make_digest_md5_client(const ClientCredentials& credentials,
                                                        std::string_view digest_host,
                                                        NonceSource& nonces);
std::unique_ptr<ClientMechanism> make_scram_sha256_client(const ClientCredentials& credentials,
                                                          NonceSource& nonces);

}  // namespace dstm::tsp::sasl::detail

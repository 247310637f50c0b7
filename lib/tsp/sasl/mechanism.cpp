#include "tsp/sasl/mechanism.h"

#include <array>
#include <cctype>

#include "tsp/sasl/mechanism_factories.h"

namespace dstm::tsp::sasl {
namespace {

constexpr std::array kAllMechanisms = {Mechanism::kAnonymous, Mechanism::kPlain,
                                       Mechanism::kDigestMd5, Mechanism::kScramSha256};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(a[i]);
    const auto y = static_cast<unsigned char>(b[i]);
    if (std::toupper(x) != std::toupper(y)) return false;
  }
  return true;
}

}  // namespace

std::string_view wire_name(Mechanism m) {
  switch (m) {
    case Mechanism::kAnonymous:
      return "ANONYMOUS";
    case Mechanism::kPlain:
      return "PLAIN";
    case Mechanism::kDigestMd5:
      return "DIGEST-MD5";
    case Mechanism::kScramSha256:
      return "SCRAM-SHA-256";
  }
  return "";
}

std::optional<Mechanism> mechanism_from_name(std::string_view name) {
  for (Mechanism m : kAllMechanisms) {
    if (iequals(name, wire_name(m))) return m;
  }
  return std::nullopt;
}

bool client_speaks_first(Mechanism m) {
  return m == Mechanism::kPlain || m == Mechanism::kScramSha256;
}

bool base64_on_wire(Mechanism m) {
  return m == Mechanism::kDigestMd5 || m == Mechanism::kScramSha256;
}

std::unique_ptr<ServerMechanism> make_server_mechanism(Mechanism m, const ServerOptions& options,
                                                       const CredentialStore& store,
                                                       NonceSource& nonces) {
  switch (m) {
    case Mechanism::kAnonymous:
      return detail::make_anonymous_server();
    case Mechanism::kPlain:
      return detail::make_plain_server(options, store);
    case Mechanism::kDigestMd5:
      return detail::make_digest_md5_server(options, store, nonces);
    case Mechanism::kScramSha256:
      return detail::make_scram_sha256_server(options, store, nonces);
  }
  return nullptr;
}

std::unique_ptr<ClientMechanism> make_client_mechanism(Mechanism m,
                                                       const ClientCredentials& credentials,
                                                       std::string_view digest_host,
                                                       NonceSource& nonces) {
  switch (m) {
    case Mechanism::kAnonymous:
      return detail::make_anonymous_client();
    case Mechanism::kPlain:
      return detail::make_plain_client(credentials);
    case Mechanism::kDigestMd5:
      return detail::make_digest_md5_client(credentials, digest_host, nonces);
    case Mechanism::kScramSha256:
      return detail::make_scram_sha256_client(credentials, nonces);
  }
  return nullptr;
}

}  // namespace dstm::tsp::sasl

#include "tspnet/listener_config.h"

#include <algorithm>

namespace dstm::tspnet {
namespace {

void read_tls(config::Section& s, TspSettings& out) {
  TlsServerConfig tls = out.tls.value_or(TlsServerConfig{});
  s.string_into("tls_cert", tls.cert_file);
  s.string_into("tls_key", tls.key_file);
  s.string_into("tls_client_ca", tls.client_ca_file);
  s.boolean_into("tls_require_client_cert", tls.require_client_cert);
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    s.fail_key(tls.cert_file.empty() ? "tls_key" : "tls_cert",  // at the one that is there
               "tls_cert and tls_key go together (the certificate and its private key)");
  }
  if (!tls.client_ca_file.empty() && tls.cert_file.empty()) {
    s.fail_key("tls_client_ca", "needs tls_cert and tls_key (client certificates are a TLS feature)");
  }
  if (s.get("tls_require_client_cert") != nullptr && tls.client_ca_file.empty()) {
    s.fail_key("tls_require_client_cert", "needs tls_client_ca (the CA client certificates are checked against)");
  }
  if (tls.cert_file.empty()) {
    out.tls.reset();
  } else {
    out.tls = std::move(tls);
  }
}

}  // namespace

void read_tsp_settings(config::Section& s, TspSettings& out) {
  using tsp::sasl::Mechanism;
  if (auto list = s.strings("listen")) {
    out.listen.clear();
    if (list->empty()) s.fail_key("listen", "needs at least one address (e.g. [\"[::]:3653\"])");
    for (std::size_t i = 0; i < list->size(); ++i) {
      auto a = ListenAddress::parse((*list)[i]);
      if (!a) {
        s.fail(*s.get("listen")->as_array()->get(i), s.name("listen") + "[" + std::to_string(i) + "]",
               "'" + (*list)[i] + "' is not ADDRESS[:PORT] (e.g. \"[::]:3653\" or \"0.0.0.0:3653\")");
        continue;
      }
      out.listen.push_back(*a);
    }
  }
  s.boolean_into("udp", out.udp);
  s.boolean_into("allow_anonymous", out.allow_anonymous);
  read_tls(s, out);
  if (auto list = s.strings("mechanisms")) {
    out.mechanisms.clear();
    for (std::size_t i = 0; i < list->size(); ++i) {
      const auto m = tsp::sasl::mechanism_from_name((*list)[i]);
      const auto& node = *s.get("mechanisms")->as_array()->get(i);
      const std::string key = s.name("mechanisms") + "[" + std::to_string(i) + "]";
      if (!m) {
        s.fail(node, key, "'" + (*list)[i] + "' is not a mechanism (SCRAM-SHA-256, DIGEST-MD5, ANONYMOUS)");
      } else if (*m == Mechanism::kPlain) {
        // PLAIN sends the password itself: only over TLS (issue #5); the message is kept from
        // before TLS existed (set tsp.tls_cert to allow it).
        if (!out.tls) {
          s.fail(node, key, "PLAIN is refused: it sends the password in clear text (no TLS listener yet)");
        } else if (std::find(out.mechanisms.begin(), out.mechanisms.end(), *m) == out.mechanisms.end()) {
          out.mechanisms.push_back(*m);
        }
      } else if (*m == Mechanism::kAnonymous && !out.allow_anonymous) {
        s.fail(node, key, "ANONYMOUS needs " + s.name("allow_anonymous") + " = true");
      } else if (std::find(out.mechanisms.begin(), out.mechanisms.end(), *m) == out.mechanisms.end()) {
        out.mechanisms.push_back(*m);
      }
    }
    if (out.mechanisms.empty()) s.fail_key("mechanisms", "needs at least one mechanism");
  }
  if (out.allow_anonymous &&
      std::find(out.mechanisms.begin(), out.mechanisms.end(), Mechanism::kAnonymous) == out.mechanisms.end()) {
    out.mechanisms.push_back(Mechanism::kAnonymous);
  }
  const bool needs_users = std::any_of(out.mechanisms.begin(), out.mechanisms.end(),
                                       [](auto m) { return m != Mechanism::kAnonymous; });
  s.string_into("users_file", out.users_file, needs_users);
  s.string_into("realm", out.realm);
}

std::vector<std::string> restart_changes(const TspSettings& fresh, const TspSettings& live) {
  std::vector<std::string> out;
  auto needs_restart = [&out](bool differs, const char* key) {
    if (differs) out.push_back(std::string(key) + " (needs a restart)");
  };
  needs_restart(fresh.listen != live.listen, "tsp.listen");
  needs_restart(fresh.udp != live.udp, "tsp.udp");
  needs_restart(fresh.mechanisms != live.mechanisms, "tsp.mechanisms");
  needs_restart(fresh.allow_anonymous != live.allow_anonymous, "tsp.allow_anonymous");
  needs_restart(fresh.realm != live.realm, "tsp.realm");
  needs_restart(fresh.tls != live.tls, "tsp.tls_*");
  return out;
}

}  // namespace dstm::tspnet

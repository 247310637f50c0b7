// The [tsp] keys every TSP server daemon shares (dstm-agent facing DSTM servers, dstm-server
// facing nodes): where it listens, which mechanisms it offers, and its users file. One reader,
// so both daemons accept and refuse the same things with the same messages.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "tsp/tsp.h"
#include "tspnet/tspnet.h"

namespace dstm::tspnet {

struct TspSettings {
  std::vector<ListenAddress> listen{{"::", 3653}};
  bool udp = true;
  std::vector<tsp::sasl::Mechanism> mechanisms{tsp::sasl::Mechanism::kScramSha256,
                                               tsp::sasl::Mechanism::kDigestMd5};
  bool allow_anonymous = false;
  std::string users_file;  // required unless only ANONYMOUS is offered
  std::string realm = "dstm";
  std::optional<TlsServerConfig> tls;  // tls_cert / tls_key / tls_client_ca: TLS on TCP
};

// Reads listen, udp, allow_anonymous, mechanisms, users_file, realm and the TLS keys
// (tls_cert, tls_key, tls_client_ca, tls_require_client_cert) from the [tsp] section `s` into
// `out` (absent keys keep out's values). PLAIN needs tls_cert (it is then offered on TLS
// connections only, never on RUDP); ANONYMOUS needs allow_anonymous, which also adds it to the
// offer. The files themselves are read by Listener::start().
void read_tsp_settings(config::Section& s, TspSettings& out);

// For a daemon's reload: the [tsp] keys read_tsp_settings() reads that differ between `fresh`
// and `live` and that only a restart applies (listen, udp, mechanisms, allow_anonymous, realm,
// the TLS keys), as "KEY (needs a restart)". users_file is the daemon's to reload.
std::vector<std::string> restart_changes(const TspSettings& fresh, const TspSettings& live);

}  // namespace dstm::tspnet

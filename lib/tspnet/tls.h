// TLS for TSP over TCP (standalone Asio's SSL over OpenSSL 3): the settings, the contexts built
// from certificate files (errors name the file), and a stream that is either a plain TCP socket
// or TLS over one, so the TSP code above it is written once. RUDP has no TLS here: DTLS is not
// part of TSP's deployed practice, and the nodes and agents that need it use TCP.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>

#include <memory>
#include <string>
#include <utility>
#include <variant>

#include "util/expected.h"

namespace dstm::tspnet {

// A TLS listener's files (PEM).
struct TlsServerConfig {
  std::string cert_file;       // the server's certificate chain
  std::string key_file;        // its private key
  std::string client_ca_file;  // empty: no client certificate is asked for
  bool require_client_cert = true;  // with client_ca_file: a client without one is refused
  bool operator==(const TlsServerConfig&) const = default;
};

// A TLS client's files (PEM). ca_file set means TLS is used.
struct TlsClientConfig {
  std::string ca_file;      // verifies the server's certificate chain
  std::string cert_file;    // client certificate, for a server that asks; with key_file
  std::string key_file;
  std::string server_name;  // SNI and host name check; empty: chain verification only
  bool operator==(const TlsClientConfig&) const = default;
};

using TlsContextPtr = std::shared_ptr<asio::ssl::context>;

// TLS 1.2 minimum. The key must match the certificate.
Expected<TlsContextPtr, std::string> make_server_context(const TlsServerConfig& config);
Expected<TlsContextPtr, std::string> make_client_context(const TlsClientConfig& config);

// The subject CN of the peer's (verified) certificate; empty when it sent none.
std::string certificate_cn(SSL* ssl);
// A client stream's expected server name: sent as SNI and checked against the certificate.
// Empty: nothing (the chain is still verified against the CA).
void set_server_name(asio::ssl::stream<asio::ip::tcp::socket>& tls, const std::string& name);
// "TLSv1.3 TLS_AES_256_GCM_SHA384", for the log.
std::string describe_tls(SSL* ssl);

// A TCP connection, plain or TLS, with the two operations TSP needs.
class TcpStream {
 public:
  using Socket = asio::ip::tcp::socket;
  using Tls = asio::ssl::stream<Socket>;

  explicit TcpStream(Socket socket) : stream_(std::in_place_type<Socket>, std::move(socket)) {}
  TcpStream(Socket socket, asio::ssl::context& context)
      : stream_(std::in_place_type<Tls>, std::move(socket), context) {}

  Tls* tls() { return std::get_if<Tls>(&stream_); }
  Socket& socket() {
    if (auto* t = tls()) return t->next_layer();
    return std::get<Socket>(stream_);
  }

  template <typename Buffer, typename Handler>
  void async_read_some(const Buffer& buffer, Handler&& handler) {
    std::visit([&](auto& s) { s.async_read_some(buffer, std::forward<Handler>(handler)); }, stream_);
  }
  template <typename Buffer, typename Handler>
  void async_write(const Buffer& buffer, Handler&& handler) {
    std::visit([&](auto& s) { asio::async_write(s, buffer, std::forward<Handler>(handler)); }, stream_);
  }
  // Closes the socket (no TLS close_notify: TSP has its own end of session, and a peer that
  // sees a truncated TLS stream after it has its answer loses nothing).
  void close() {
    asio::error_code ignored;
    socket().shutdown(Socket::shutdown_both, ignored);
    socket().close(ignored);
  }

 private:
  std::variant<Socket, Tls> stream_;
};

}  // namespace dstm::tspnet

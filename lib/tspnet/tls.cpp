#include "tspnet/tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fstream>

namespace dstm::tspnet {
namespace {

// OpenSSL's own messages for a missing file are vague ("system lib"): check readability first.
Expected<void, std::string> readable(const char* key, const std::string& path) {
  std::ifstream in(path);
  if (!in) return unexpected(std::string(key) + " '" + path + "': cannot be read");
  return {};
}

Expected<void, std::string> load_identity(asio::ssl::context& ctx, const char* cert_key, const std::string& cert,
                                          const char* key_key, const std::string& key) {
  if (auto r = readable(cert_key, cert); !r) return r;
  if (auto r = readable(key_key, key); !r) return r;
  asio::error_code ec;
  ctx.use_certificate_chain_file(cert, ec);
  if (ec) return unexpected(std::string(cert_key) + " '" + cert + "': not a PEM certificate (" + ec.message() + ")");
  // Read by hand, so "not a key" and "not this certificate's key" get their own messages.
  BIO* bio = BIO_new_file(key.c_str(), "r");
  EVP_PKEY* pkey = bio != nullptr ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (pkey == nullptr) return unexpected(std::string(key_key) + " '" + key + "': not a PEM private key");
  const bool matches = SSL_CTX_use_PrivateKey(ctx.native_handle(), pkey) == 1 &&
                       SSL_CTX_check_private_key(ctx.native_handle()) == 1;
  EVP_PKEY_free(pkey);
  ERR_clear_error();
  if (!matches) {
    return unexpected(std::string(key_key) + " '" + key + "' does not match " + cert_key + " '" + cert + "'");
  }
  return {};
}

Expected<void, std::string> load_ca(asio::ssl::context& ctx, const char* key, const std::string& path) {
  if (auto r = readable(key, path); !r) return r;
  asio::error_code ec;
  ctx.load_verify_file(path, ec);
  if (ec) return unexpected(std::string(key) + " '" + path + "': no PEM certificate in it (" + ec.message() + ")");
  return {};
}

TlsContextPtr base_context(asio::ssl::context::method method) {
  auto ctx = std::make_shared<asio::ssl::context>(method);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  return ctx;
}

}  // namespace

Expected<TlsContextPtr, std::string> make_server_context(const TlsServerConfig& config) {
  auto ctx = base_context(asio::ssl::context::tls_server);
  if (auto r = load_identity(*ctx, "tls_cert", config.cert_file, "tls_key", config.key_file); !r) {
    return unexpected(r.error());
  }
  if (!config.client_ca_file.empty()) {
    if (auto r = load_ca(*ctx, "tls_client_ca", config.client_ca_file); !r) return unexpected(r.error());
    // Name the acceptable issuers in the CertificateRequest.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(config.client_ca_file.c_str())) {
      SSL_CTX_set_client_CA_list(ctx->native_handle(), names);
    }
    ctx->set_verify_mode(asio::ssl::verify_peer |
                         (config.require_client_cert ? asio::ssl::verify_fail_if_no_peer_cert : 0));
  } else {
    ctx->set_verify_mode(asio::ssl::verify_none);
  }
  return ctx;
}

Expected<TlsContextPtr, std::string> make_client_context(const TlsClientConfig& config) {
  auto ctx = base_context(asio::ssl::context::tls_client);
  if (auto r = load_ca(*ctx, "tls_ca", config.ca_file); !r) return unexpected(r.error());
  ctx->set_verify_mode(asio::ssl::verify_peer);
  if (!config.cert_file.empty() || !config.key_file.empty()) {
    if (auto r = load_identity(*ctx, "tls_cert", config.cert_file, "tls_key", config.key_file); !r) {
      return unexpected(r.error());
    }
  }
  return ctx;
}

std::string certificate_cn(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return {};
  std::string out;
  if (X509_NAME* subject = X509_get_subject_name(cert)) {
    const int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (i >= 0) {
      const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
      unsigned char* utf8 = nullptr;
      const int n = ASN1_STRING_to_UTF8(&utf8, data);
      if (n > 0) out.assign(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n));
      OPENSSL_free(utf8);
    }
  }
  X509_free(cert);
  return out;
}

void set_server_name(asio::ssl::stream<asio::ip::tcp::socket>& tls, const std::string& name) {
  if (name.empty()) return;
  // SSL_set_tlsext_host_name, without its C cast.
  SSL_ctrl(tls.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
           const_cast<char*>(name.c_str()));
  tls.set_verify_callback(asio::ssl::host_name_verification(name));
}

std::string describe_tls(SSL* ssl) {
  return std::string(SSL_get_version(ssl)) + " " + SSL_get_cipher_name(ssl);
}

}  // namespace dstm::tspnet

// The mechanism table the TSP session relies on: names, who speaks first, base64 or raw.
#include "tsp/sasl/mechanism.h"

#include <catch2/catch.hpp>

#include "test_support.h"

namespace dstm::tsp::sasl {
namespace {

constexpr Mechanism kAll[] = {Mechanism::kAnonymous, Mechanism::kPlain, Mechanism::kDigestMd5,
                              Mechanism::kScramSha256};

TEST_CASE("wire names and their case-insensitive lookup", "[sasl]") {
  CHECK(wire_name(Mechanism::kAnonymous) == "ANONYMOUS");
  CHECK(wire_name(Mechanism::kPlain) == "PLAIN");
  CHECK(wire_name(Mechanism::kDigestMd5) == "DIGEST-MD5");
  CHECK(wire_name(Mechanism::kScramSha256) == "SCRAM-SHA-256");
  for (Mechanism m : kAll) CHECK(mechanism_from_name(wire_name(m)) == m);
  CHECK(mechanism_from_name("digest-md5") == Mechanism::kDigestMd5);
  CHECK(mechanism_from_name("Scram-Sha-256") == Mechanism::kScramSha256);
  CHECK_FALSE(mechanism_from_name("PASSDSS-3DES-1"));
  CHECK_FALSE(mechanism_from_name("PLAIN "));
  CHECK_FALSE(mechanism_from_name(""));
}

TEST_CASE("who speaks first and what is base64 on the wire", "[sasl]") {
  CHECK_FALSE(client_speaks_first(Mechanism::kAnonymous));
  CHECK(client_speaks_first(Mechanism::kPlain));
  CHECK_FALSE(client_speaks_first(Mechanism::kDigestMd5));
  CHECK(client_speaks_first(Mechanism::kScramSha256));
  CHECK_FALSE(base64_on_wire(Mechanism::kAnonymous));
  CHECK_FALSE(base64_on_wire(Mechanism::kPlain));
  CHECK(base64_on_wire(Mechanism::kDigestMd5));
  CHECK(base64_on_wire(Mechanism::kScramSha256));
}

TEST_CASE("factories build the requested mechanism, and initial responses fit", "[sasl]") {
  MemoryCredentialStore store;
  OpenSslNonceSource nonces;
  const ClientCredentials creds{"alice", "secret"};
  for (Mechanism m : kAll) {
    INFO(wire_name(m));
    const auto server = make_server_mechanism(m, ServerOptions{}, store, nonces);
    const auto client = make_client_mechanism(m, creds, "broker.example", nonces);
    REQUIRE(server);
    REQUIRE(client);
    CHECK(server->mechanism() == m);
    CHECK(client->mechanism() == m);
    CHECK(client->initial_response().has_value() == client_speaks_first(m));
  }
}

}  // namespace
}  // namespace dstm::tsp::sasl

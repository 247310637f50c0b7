// ANONYMOUS (RFC 4505) as TSP uses it: "AUTHENTICATE ANONYMOUS" and the server answers
// "200 Success" at once; no trace information is exchanged (tsp-digest.md §2.3). Whether
// anonymous access is allowed at all is the server session's decision.
#include "tsp/sasl/mechanism_factories.h"

namespace dstm::tsp::sasl::detail {
namespace {

constexpr std::string_view kAnonymousIdentity = "anonymous";

class AnonymousServer final : public ServerMechanism {
 public:
  Mechanism mechanism() const override { return Mechanism::kAnonymous; }

  ServerStep step(std::string_view client_message) override {
    if (finished_) return server_failure("ANONYMOUS: exchange already finished");
    finished_ = true;
    // RFC 4505 §2 allows optional trace text; TSP clients send none, and we ignore any, but
    // still bound it like every other message.
    if (client_message.size() > kMaxSaslMessageBytes) {
      return server_failure("ANONYMOUS: trace message too long");
    }
    return server_success({}, std::string(kAnonymousIdentity));
  }

 private:
  bool finished_ = false;
};

class AnonymousClient final : public ClientMechanism {
 public:
  Mechanism mechanism() const override { return Mechanism::kAnonymous; }
  std::optional<std::string> initial_response() override { return std::nullopt; }

  // The server sends no SASL data for ANONYMOUS; an empty message means nothing more to do.
  ClientStep step(std::string_view server_message) override {
    if (finished_) return client_failure("ANONYMOUS: exchange already finished");
    finished_ = true;
    if (!server_message.empty()) return client_failure("ANONYMOUS: unexpected server data");
    return client_done();
  }

 private:
  bool finished_ = false;
};

}  // namespace

std::unique_ptr<ServerMechanism> make_anonymous_server() {
  return std::make_unique<AnonymousServer>();
}

std::unique_ptr<ClientMechanism> make_anonymous_client() {
  return std::make_unique<AnonymousClient>();
}

}  // namespace dstm::tsp::sasl::detail

// The client session facing a hostile server: CAPABILITY, SASL challenges, replies, referrals,
// server-initiated requests.
#include "fuzz_common.h"

using namespace dstm;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Script script = fuzz::split_input(data, size);
  fuzz::FixedNonces nonces;
  tsp::ClientSessionConfig config;
  config.mechanisms = {tsp::sasl::Mechanism::kScramSha256, tsp::sasl::Mechanism::kDigestMd5,
                       tsp::sasl::Mechanism::kPlain, tsp::sasl::Mechanism::kAnonymous};
  config.credentials = {"node1", "pw"};
  config.digest_host = "dstm.example";
  tsp::ClientSession session(config, nonces, script.transport);
  session.start();
  tsp::TunnelMessage create;
  create.action = tsp::TunnelAction::kCreate;
  create.type = tsp::TunnelType::kV4V6;
  for (std::string_view input : script.inputs) {
    session.on_input(input);
    for (auto& event : session.take_events()) {
      if (std::holds_alternative<tsp::ClientAuthenticated>(event)) session.request(create);
      if (std::holds_alternative<tsp::TunnelReply>(event)) session.accept();
    }
    session.take_writes();
  }
  return 0;
}

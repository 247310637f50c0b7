// The server session: framing + VERSION/AUTHENTICATE + every SASL mechanism + XML requests.
#include "fuzz_common.h"

using namespace dstm;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Script script = fuzz::split_input(data, size);
  fuzz::FixedNonces nonces;
  tsp::ServerSessionConfig config;
  config.offer.tunnel_types = {tsp::TunnelType::kV4V6, tsp::TunnelType::kV6V4};
  config.offer.mechanisms = {tsp::sasl::Mechanism::kAnonymous, tsp::sasl::Mechanism::kPlain,
                             tsp::sasl::Mechanism::kDigestMd5, tsp::sasl::Mechanism::kScramSha256};
  config.allow_plain_without_tls = true;
  config.max_auth_attempts = 1000;
  tsp::ServerSession session(config, fuzz::test_store(), nonces, script.transport, 0);
  const tsp::TunnelMessage info = fuzz::canned_info();
  std::uint64_t now = 0;
  bool answer_ok = true;
  for (std::string_view input : script.inputs) {
    session.on_input(input, now);
    for (auto& event : session.take_events()) {
      if (std::holds_alternative<tsp::TunnelRequested>(event)) {
        session.answer(answer_ok ? tsp::Status::kSuccess : tsp::Status::kPoolExhausted, &info);
        answer_ok = !answer_ok;
      }
    }
    session.take_writes();
    now += 1000;
    session.on_timer(now);
  }
  session.send_request(info);
  session.take_writes();
  return 0;
}

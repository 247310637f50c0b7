// TSP micro-benchmarks. Each figure is read against a peer measured in the same run:
//   BM_ServerExchange   a whole server-side session (VERSION -> CAPABILITY -> AUTHENTICATE
//                       ANONYMOUS -> create -> info), items = messages handled
//   BM_TunnelParse      our parse_tunnel (pugixml + limits + model) of gogoc's v4v6 create,
//   BM_TunnelRoundTrip  parse + serialize of the same,
//   BM_PugixmlBaseline  a bare pugixml load_buffer of the same bytes: the baseline the two
//                       above are compared with (scripts/bench prints the ratios).
#include <benchmark/benchmark.h>

#include <pugixml.hpp>
#include <string>

#include "tsp/tsp.h"

namespace {

using namespace dstm::tsp;

const std::string kCreate =
    "<tunnel action=\"create\" type=\"v4v6\" proxy=\"no\">\r\n <client>\r\n"
    "  <address type=\"ipv6\">2001:db8:1::2</address>\r\n  <keepalive interval=\"30\">\r\n"
    "    <address type=\"ipv4\">127.0.0.1</address>\r\n  </keepalive>\r\n </client>\r\n</tunnel>\r\n";

class NoNonces : public sasl::NonceSource {
 public:
  std::string nonce(std::size_t bytes) override { return std::string(bytes, 'n'); }
};

TunnelMessage info_answer() {
  TunnelMessage m;
  m.action = TunnelAction::kInfo;
  m.type = TunnelType::kV4V6;
  m.lifetime = 3600;
  m.server = Endpoint{{{AddressType::kIpv4, "198.51.100.1"}, {AddressType::kIpv6, "2001:db8:1::1"}}, {}, {}, {}};
  m.client = Endpoint{{{AddressType::kIpv4, "192.0.2.2"}, {AddressType::kIpv6, "2001:db8:1::2"}},
                      {{AddressType::kIpv6, "2001:db8:1::53"}}, {}, Keepalive{30, Address{AddressType::kIpv4, "198.51.100.1"}}};
  return m;
}

void BM_ServerExchange(benchmark::State& state) {
  NoNonces nonces;
  sasl::MemoryCredentialStore store;
  ServerSessionConfig config;
  config.offer.mechanisms = {sasl::Mechanism::kAnonymous};
  const std::string framed = frame_content(kCreate);
  const std::string accept = frame_content("<tunnel action=\"accept\"></tunnel>\r\n");
  const TunnelMessage info = info_answer();
  std::size_t out_bytes = 0;
  for (auto _ : state) {
    ServerSession s(config, store, nonces, Transport::kStream, 0);
    s.on_input("VERSION=2.0.2\r\n", 0);
    s.on_input("AUTHENTICATE ANONYMOUS\r\n", 0);
    s.on_input(framed, 0);
    s.take_events();
    s.answer(Status::kSuccess, &info);
    s.on_input(accept, 0);
    for (auto& w : s.take_writes()) out_bytes += w.bytes.size();
    benchmark::DoNotOptimize(s.take_events());
  }
  state.SetItemsProcessed(state.iterations() * 4);  // VERSION, AUTHENTICATE, create, accept
  benchmark::DoNotOptimize(out_bytes);
}
BENCHMARK(BM_ServerExchange);

void BM_TunnelParse(benchmark::State& state) {
  for (auto _ : state) {
    auto m = parse_tunnel(kCreate);
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TunnelParse);

void BM_TunnelRoundTrip(benchmark::State& state) {
  for (auto _ : state) {
    auto m = parse_tunnel(kCreate);
    std::string out = serialize_tunnel(*m, XmlStyle::kClientRequest);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TunnelRoundTrip);

void BM_PugixmlBaseline(benchmark::State& state) {
  for (auto _ : state) {
    pugi::xml_document doc;
    auto r = doc.load_buffer(kCreate.data(), kCreate.size());
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PugixmlBaseline);

}  // namespace

BENCHMARK_MAIN();

// dstm-client's daemon over real sockets: the state machine and its TCP / reliable-UDP link
// against tspnet::Listener (the server side the project's daemons use) on the loopback, with a
// recording DTI in place of netlink.
#include <catch2/catch.hpp>

#include <chrono>

#include "daemon.h"
#include "tspnet/tspnet.h"

using namespace dstm;
using namespace dstm::client;
using namespace dstm::tsp;

namespace {

class RecordingDti final : public Dti {
 public:
  std::vector<Lease> ups;
  int downs = 0;
  std::string_view backend() const override { return "test"; }
  Expected<void, DtiError> up(const Lease& lease) override {
    ups.push_back(lease);
    up_ = true;
    return {};
  }
  std::optional<std::string> down() override {
    if (up_) ++downs;
    up_ = false;
    return std::nullopt;
  }
  bool is_up() const override { return up_; }

 private:
  bool up_ = false;
};

// A DSTM server stand-in: answers every create with a lease of `lifetime` seconds.
class LeaseApp final : public tspnet::Application {
 public:
  std::vector<TunnelMessage> requests;
  tspnet::SessionPtr last_session;
  int accepted = 0;
  std::uint32_t lifetime = 60;
  void on_request(const tspnet::SessionPtr& session, const TunnelMessage& request, tspnet::Answer answer) override {
    requests.push_back(request);
    last_session = session;
    TunnelMessage m;
    m.action = TunnelAction::kInfo;
    m.type = TunnelType::kV4V6;
    m.lifetime = lifetime;
    m.server = Endpoint{{{AddressType::kIpv4, "198.51.100.1"}, {AddressType::kIpv6, "2001:db8:1::a"}}, {}, {}, {}};
    m.client = Endpoint{{{AddressType::kIpv4, "192.0.2.2"}, {AddressType::kIpv6, "2001:db8:1::2"}}, {}, {}, {}};
    answer(Status::kSuccess, m, "");
  }
  void on_accepted(const tspnet::SessionPtr&) override { ++accepted; }
};

struct Rig {
  asio::io_context io;
  sasl::OpenSslNonceSource nonces;
  sasl::MemoryCredentialStore store;
  LeaseApp app;
  std::unique_ptr<tspnet::Listener> listener;
  ClientConfig config;
  RecordingDti* dti = nullptr;
  std::unique_ptr<Daemon> daemon;

  explicit Rig(bool udp) {
    tspnet::ListenerConfig l;
    l.listen = {tspnet::ListenAddress{"127.0.0.1", 0}};  // port 0: the kernel picks one
    l.udp = udp;
    l.session.offer.tunnel_types = {TunnelType::kV4V6};
    l.session.offer.mechanisms = {sasl::Mechanism::kAnonymous};
    listener = std::make_unique<tspnet::Listener>(io, l, store, nonces, app);
    auto started = listener->start();
    if (!started) FAIL(started.error());
    const auto ports = udp ? listener->udp_ports() : listener->tcp_ports();
    REQUIRE_FALSE(ports.empty());
    config.servers = {tspnet::ListenAddress{"127.0.0.1", ports.front()}};
    config.udp = udp;
    config.anonymous = true;
    MachineConfig mc;
    mc.session.mechanisms = {sasl::Mechanism::kAnonymous};
    mc.global = *net::Ipv6Address::parse("2001:db8:1::2");
    mc.link_local = *net::Ipv6Address::parse("fe80::2");
    mc.renew_fraction = 0.5;
    mc.answer_timeout_ms = 5000;
    auto d = std::make_unique<RecordingDti>();
    dti = d.get();
    daemon = std::make_unique<Daemon>(io, config, mc, std::move(d));
  }
  // Runs the loop until `done` or 10 s pass.
  template <class F>
  bool run_until(F done) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < end) {
      io.restart();
      io.run_for(std::chrono::milliseconds(20));
    }
    return done();
  }
};

}  // namespace

TEST_CASE("daemon over TCP: lease, DTI up, the server's delete takes it down, stop", "[client][daemon]") {
  Rig rig(false);
  rig.daemon->start();
  REQUIRE(rig.run_until([&] { return rig.dti->is_up(); }));
  REQUIRE(rig.dti->ups.size() == 1);
  CHECK(rig.dti->ups[0].ipv4.to_string() == "192.0.2.2");
  CHECK(rig.dti->ups[0].tep_ipv6.to_string() == "2001:db8:1::a");
  REQUIRE(rig.run_until([&] { return rig.app.accepted == 1; }));
  REQUIRE(rig.app.requests.size() == 1);
  CHECK(rig.app.requests[0].client->all(AddressType::kIpv6).size() == 2);

  auto status = rig.daemon->status();
  CHECK(status.find("session")->as_string() == "leased");
  CHECK(status.find("lease")->find("ipv4")->as_string() == "192.0.2.2");
  CHECK(status.find("lease")->find("remaining_s")->as_int() > 50);
  CHECK(status.find("dti")->find("state")->as_string() == "up");

  TunnelMessage del;
  del.action = TunnelAction::kDelete;
  del.type = TunnelType::kV4V6;
  del.client = Endpoint{{{AddressType::kIpv4, "192.0.2.2"}}, {}, {}, {}};
  REQUIRE(rig.app.last_session->send_request(del));
  REQUIRE(rig.run_until([&] { return !rig.dti->is_up(); }));
  CHECK(rig.dti->downs == 1);
  CHECK(rig.daemon->machine().state() == ClientMachine::State::kBackoff);
  rig.daemon->stop();
  CHECK(rig.daemon->machine().state() == ClientMachine::State::kStopped);
}

TEST_CASE("daemon over reliable UDP: lease and renewal", "[client][daemon]") {
  Rig rig(true);
  rig.app.lifetime = 2;  // renewal after 1 s
  rig.daemon->start();
  REQUIRE(rig.run_until([&] { return rig.dti->is_up(); }));
  REQUIRE(rig.run_until([&] { return rig.app.requests.size() >= 2; }));
  REQUIRE(rig.app.requests[1].client->find(AddressType::kIpv4) != nullptr);
  CHECK(rig.app.requests[1].client->find(AddressType::kIpv4)->value == "192.0.2.2");
  REQUIRE(rig.run_until([&] { return rig.daemon->machine().renewals() >= 1; }));
  CHECK(rig.dti->ups.size() == 1);  // a renewal leaves the DTI alone
  CHECK(rig.dti->downs == 0);
  rig.daemon->stop();
  CHECK(rig.dti->downs == 1);
}

TEST_CASE("daemon: the server goes away, the client reconnects and asks for its address", "[client][daemon]") {
  Rig rig(false);
  rig.daemon->start();
  REQUIRE(rig.run_until([&] { return rig.dti->is_up() && rig.app.accepted == 1; }));
  rig.app.last_session->close();
  REQUIRE(rig.run_until([&] { return rig.app.requests.size() == 2; }));  // after a 1 s back-off
  REQUIRE(rig.app.requests[1].client->find(AddressType::kIpv4) != nullptr);
  CHECK(rig.app.requests[1].client->find(AddressType::kIpv4)->value == "192.0.2.2");
  CHECK(rig.dti->downs == 0);  // the lease was still valid throughout
  CHECK(rig.daemon->machine().reconnects() == 1);
  rig.daemon->stop();
}

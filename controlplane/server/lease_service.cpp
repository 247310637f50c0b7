#include "lease_service.h"

#include <algorithm>
#include <chrono>

#include "util/log.h"

namespace dstm::server {
namespace {

using tsp::AddressType;
using tsp::Status;

// A node's request, read for the DSTM profile: its global IPv6 (a v4v6 create may carry a
// link-local and a global address, tsp-digest.md §7b) and the IPv4 it asks for, if any.
struct NodeAddresses {
  std::optional<net::Ipv6Address> ipv6;
  std::optional<net::Ipv4Address> ipv4;
  Status error = Status::kSuccess;
  std::string detail;
};

NodeAddresses node_addresses(const tsp::TunnelMessage& m) {
  NodeAddresses out;
  if (!m.client) return out;
  for (const tsp::Address* a : m.client->all(AddressType::kIpv6)) {
    auto v6 = net::Ipv6Address::parse(a->value);
    if (!v6) {
      out.error = Status::kInvalidIpv6;
      out.detail = "'" + a->value + "' is not an IPv6 address";
      return out;
    }
    if (!v6->is_link_local()) out.ipv6 = *v6;
  }
  if (const tsp::Address* a = m.client->find(AddressType::kIpv4)) {
    out.ipv4 = net::Ipv4Address::parse(a->value);
    if (!out.ipv4) {
      out.error = Status::kInvalidIpv4;
      out.detail = "'" + a->value + "' is not an IPv4 address";
    }
  }
  return out;
}

tsp::TunnelMessage tep_request(tsp::TunnelAction action, const lease::Lease& l, bool replace) {
  tsp::TunnelMessage m;
  m.action = action;
  m.type = tsp::TunnelType::kV4V6;
  // The address was free in our pool, so whatever the TEP still maps it to is stale.
  if (replace) m.replace = true;
  m.client = tsp::Endpoint{{{AddressType::kIpv4, l.ipv4.to_string()}, {AddressType::kIpv6, l.ipv6.to_string()}},
                           {}, {}, {}};
  return m;
}

bool is_anonymous(const tspnet::Session& s) {
  return s.mechanism() == tsp::sasl::Mechanism::kAnonymous;
}

}  // namespace

LeaseService::LeaseService(asio::io_context& io, const ServerConfig& config, lease::Allocator allocator,
                           lease::LeaseStore store)
    : io_(io), config_(config), allocator_(std::move(allocator)), store_(std::move(store)), writer_(io, store_, "lease store") {}

void LeaseService::put(const lease::Lease& l, std::function<void(bool)> done) {
  writer_.write([l](lease::LeaseStore& s) { return s.put(l); }, std::move(done));
}

void LeaseService::remove(net::Ipv4Address ipv4, std::function<void(bool)> done) {
  if (!done) done = [](bool) {};
  writer_.write([ipv4](lease::LeaseStore& s) { return s.remove(ipv4); }, std::move(done));
}

LeaseService::~LeaseService() {
  for (auto& t : teps_) t->stop();
}

std::uint64_t LeaseService::now_s() const {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(duration_cast<seconds>(system_clock::now().time_since_epoch()).count());
}

Expected<std::unique_ptr<LeaseService>, std::string> LeaseService::start(asio::io_context& io,
                                                                         const ServerConfig& config,
                                                                         tsp::sasl::NonceSource& nonces) {
  auto allocator = lease::Allocator::create(config.pool);
  if (!allocator) return unexpected("pool: " + allocator.error());
  auto store = lease::LeaseStore::open(config.store_path);
  if (!store) return unexpected(store.error());
  auto rows = store->load_all();
  if (!rows) return unexpected(rows.error());
  std::unique_ptr<LeaseService> s(new LeaseService(io, config, std::move(*allocator), std::move(*store)));
  for (const auto& t : config.teps) {
    tspnet::TlsContextPtr tls;
    if (t.tls) {
      auto context = tspnet::make_client_context(*t.tls);
      if (!context) return unexpected("tep " + t.name + " TLS: " + context.error());
      tls = std::move(*context);
    }
    s->teps_.push_back(std::make_unique<TepClient>(io, t, nonces, std::move(tls)));
  }

  auto report = s->allocator_.restore(*rows, s->now_s());
  // restore() rebuilt the allocator; every lease it kept gets its state back.
  std::unordered_map<std::uint32_t, std::string> tep_of;
  for (const auto& l : *rows) tep_of[l.ipv4.to_host()] = l.tep;
  for (auto& l : s->allocator_.active()) {
    l.tep = tep_of[l.ipv4.to_host()];
    if (s->tep(l.tep) == nullptr) {  // a TEP no longer configured: move the lease
      TepClient* t = s->choose_tep(l.ipv6);
      l.tep = t != nullptr ? t->config().name : "";
      s->put(l, [](bool) {});
    }
    s->add_state(l.ipv4, State{l.tep, {}, false, {}});
    s->resync_.push_back(l);
  }
  for (const auto* list : {&report.expired, &report.rejected}) {
    for (auto l : *list) {
      l.tep = tep_of[l.ipv4.to_host()];
      // Its row goes once the TEP confirmed the Tunnel Delete (a tombstone until then, so the
      // next start sends it again); a rejected lease's row is marked ended first.
      if (list == &report.rejected) s->put(s->tombstone(l), [](bool) {});
      s->tep_delete(l.tep, l);
    }
  }
  log::info("restored " + std::to_string(s->state_.size()) + " lease(s) from " + config.store_path + " (" +
            std::to_string(report.expired.size()) + " expired, " + std::to_string(report.rejected.size()) +
            " no longer valid)");
  for (auto& t : s->teps_) t->start();
  s->push_resync();
  return s;
}

TepClient* LeaseService::tep(const std::string& name) const {
  for (const auto& t : teps_) {
    if (t->config().name == name) return t.get();
  }
  return nullptr;
}

std::size_t LeaseService::mappings_on(const std::string& name) const {
  auto it = load_.find(name);
  return it == load_.end() ? 0 : it->second;
}

void LeaseService::add_state(net::Ipv4Address ipv4, State st) {
  erase_state(state_.find(ipv4.to_host()));  // keeps load_ exact if the address had a state
  ++load_[st.tep];
  state_.emplace(ipv4.to_host(), std::move(st));
}

void LeaseService::erase_state(std::unordered_map<std::uint32_t, State>::iterator it) {
  if (it == state_.end()) return;
  if (auto l = load_.find(it->second.tep); l != load_.end() && l->second > 0) --l->second;
  state_.erase(it);
}

// Routing information module: a TEP whose `serves` prefixes contain the node (longest match),
// else the least-loaded TEP that is up, else the least-loaded one.
TepClient* LeaseService::choose_tep(const net::Ipv6Address& node) const {
  TepClient* best = nullptr;
  int best_len = -1;
  for (const auto& t : teps_) {
    for (const auto& p : t->config().serves) {
      if (p.contains(node) && static_cast<int>(p.length()) > best_len) {
        best = t.get();
        best_len = static_cast<int>(p.length());
      }
    }
  }
  if (best != nullptr) return best;
  for (bool need_up : {true, false}) {
    for (const auto& t : teps_) {
      if (!t->config().serves.empty()) continue;  // serves only its prefixes
      if (need_up && !t->up()) continue;
      if (best == nullptr || mappings_on(t->config().name) < mappings_on(best->config().name)) best = t.get();
    }
    if (best != nullptr) return best;
  }
  return nullptr;
}

tsp::TunnelMessage LeaseService::node_info(const lease::Lease& l) const {
  // What real clients require (tsp-digest.md §3.3, §8 item 6): client ipv4 + ipv6, server
  // ipv4 + ipv6, the lifetime, the keepalive target and a <dns_server>.
  tsp::TunnelMessage m;
  m.action = tsp::TunnelAction::kInfo;
  m.type = tsp::TunnelType::kV4V6;
  const std::uint64_t now = now_s();
  m.lifetime = static_cast<std::uint32_t>(l.expires_at > now ? l.expires_at - now : 0);
  TepAddresses tep;
  if (auto it = state_.find(l.ipv4.to_host()); it != state_.end()) {
    if (auto t = tep_addresses_.find(it->second.tep); t != tep_addresses_.end()) tep = t->second;
  }
  m.server = tsp::Endpoint{{{AddressType::kIpv4, tep.ipv4}, {AddressType::kIpv6, tep.ipv6}}, {}, {}, {}};
  tsp::Endpoint client{{{AddressType::kIpv4, l.ipv4.to_string()}, {AddressType::kIpv6, l.ipv6.to_string()}},
                       {}, {}, {}};
  for (const auto& d : config_.dns_servers) client.dns_servers.push_back({AddressType::kIpv6, d.to_string()});
  if (config_.keepalive_interval_s != 0) {
    // v4v6 keepalives are ICMPv4 echoes to the TEP's IPv4 through the tunnel (gogoc).
    client.keepalive = tsp::Keepalive{config_.keepalive_interval_s, tsp::Address{AddressType::kIpv4, tep.ipv4}};
  }
  m.client = client;
  return m;
}

void LeaseService::on_request(const tspnet::SessionPtr& session, const tsp::TunnelMessage& request,
                              tspnet::Answer answer) {
  if (request.type && *request.type != tsp::TunnelType::kV4V6) {
    ++counters_.rejected;
    return answer(Status::kUnsupportedTunnelType, std::nullopt, "this DSTM server offers v4v6 only");
  }
  switch (request.action) {
    case tsp::TunnelAction::kCreate:
      return create(session, request, std::move(answer));
    case tsp::TunnelAction::kDelete:
      return node_delete(session, request, std::move(answer));
    case tsp::TunnelAction::kInfo: {
      auto a = node_addresses(request);
      if (a.ipv4) {
        auto l = allocator_.find(*a.ipv4);
        if (l && l->identity == session->identity()) return answer(Status::kSuccess, node_info(*l), "info");
      }
      ++counters_.rejected;
      return answer(Status::kAddressUnavailable, std::nullopt, "no lease of this node to report");
    }
    default:
      ++counters_.rejected;
      return answer(Status::kInvalidRequest, std::nullopt, "create, delete or info expected");
  }
}

void LeaseService::create(const tspnet::SessionPtr& session, const tsp::TunnelMessage& request,
                          tspnet::Answer answer) {
  auto a = node_addresses(request);
  if (a.error != Status::kSuccess) {
    ++counters_.rejected;
    return answer(a.error, std::nullopt, a.detail);
  }
  if (!a.ipv6) {
    ++counters_.rejected;
    return answer(Status::kInvalidIpv6, std::nullopt, "no global IPv6 address in the request");
  }
  if (config_.node_must_match_source) {
    // The node asks for its own address: a create for someone else's IPv6 would aim the
    // TEP's traffic at a victim (RFC 6169 §3.2 style reflection).
    auto peer = net::Ipv6Address::parse(session->peer());
    if (!peer || *peer != *a.ipv6) {
      ++counters_.rejected;
      return answer(Status::kInvalidIpv6, std::nullopt,
                    a.ipv6->to_string() + " is not the session's source address " + session->peer());
    }
  }
  expire_due();  // so a late renewal cannot revive a lease whose Tunnel Delete is due
  const bool anonymous = is_anonymous(*session);
  // The identity of an anonymous node is its IPv6 (one lease per /128, lib/lease).
  const std::string identity = anonymous ? a.ipv6->to_string() : session->identity();
  auto leased = allocator_.allocate(identity, anonymous, *a.ipv6, a.ipv4, request.lifetime.value_or(0), now_s());
  if (!leased) {
    ++counters_.rejected;
    return answer(leased.error(), std::nullopt, "allocation refused");
  }
  lease::Lease l = *leased;
  auto st = state_.find(l.ipv4.to_host());
  if (st != state_.end()) {
    // Renewal (DESIGN.md flow 2): the holder already has this lease; nothing goes to the TEP.
    ++counters_.renewals;
    st->second.session = session;  // a node that reconnected gets Tunnel Delete on the new one
    l.tep = st->second.tep;
    std::weak_ptr<tspnet::Session> weak = session;
    put(l, [this, l, answer, weak](bool durable) {
      if (!durable) {
        ++counters_.store_failures;
        return answer(Status::kStatusError, std::nullopt, "lease store write failed");
      }
      auto it = state_.find(l.ipv4.to_host());
      if (it == state_.end()) return answer(Status::kAddressUnavailable, std::nullopt, "lease ended meanwhile");
      auto reply = [this, l, answer](bool ok) {
        if (!ok) return answer(Status::kTepConfigError, std::nullopt, "the TEP did not take the lease");
        answer(Status::kSuccess, node_info(l), "renewed");
      };
      if (it->second.confirmed) return reply(true);
      it->second.on_confirmed.push_back(reply);  // still being configured at the TEP
    });
    return;
  }
  TepClient* t = choose_tep(l.ipv6);
  if (t == nullptr) {
    allocator_.release(l.ipv4);
    ++counters_.tep_failures;
    return answer(Status::kTepConfigError, std::nullopt, "no TEP serves " + l.ipv6.to_string());
  }
  l.tep = t->config().name;
  add_state(l.ipv4, State{l.tep, session, false, {}});
  put(l, [this, l, session, answer](bool durable) {
    if (!durable) {
      ++counters_.store_failures;
      allocator_.release(l.ipv4);
      erase_state(state_.find(l.ipv4.to_host()));
      return answer(Status::kStatusError, std::nullopt, "lease store write failed");
    }
    configure_tep(l, session, answer);
  });
}

void LeaseService::configure_tep(const lease::Lease& l, const tspnet::SessionPtr& session, tspnet::Answer answer) {
  TepClient* t = tep(l.tep);
  t->request(tep_request(tsp::TunnelAction::kCreate, l, /*replace=*/true),
             [this, l, answer](int code, std::optional<tsp::TunnelMessage> info, std::string detail) {
               auto it = state_.find(l.ipv4.to_host());
               const bool still_ours = it != state_.end() && allocator_.find(l.ipv4) &&
                                       allocator_.find(l.ipv4)->ipv6 == l.ipv6;
               if (code == 200 && info && info->server && still_ours) {
                 const tsp::Address* v4 = info->server->find(AddressType::kIpv4);
                 const tsp::Address* v6 = info->server->find(AddressType::kIpv6);
                 if (v4 != nullptr && v6 != nullptr) {
                   tep_addresses_[l.tep] = TepAddresses{v4->value, v6->value};
                   it->second.confirmed = true;
                   ++counters_.allocations;
                   auto waiting = std::move(it->second.on_confirmed);
                   answer(Status::kSuccess, node_info(l), "allocated at TEP " + l.tep);
                   for (auto& w : waiting) w(true);
                   return;
                 }
                 detail = "TEP " + l.tep + " answered without its addresses";
               }
               // Nothing half-done survives (issue #5): free the address and drop the lease.
               ++counters_.tep_failures;
               log::warning("allocation of " + l.ipv4.to_string() + " to " + l.ipv6.to_string() + " failed: " + detail);
               if (!still_ours) return answer(Status::kTepConfigError, std::nullopt, detail);
               auto waiting = std::move(it->second.on_confirmed);
               erase_state(it);
               allocator_.release(l.ipv4);
               // The node hears 307 only once the lease row is durably gone: answered earlier, a
               // crash before the removal committed would bring the lease back at start-up and
               // push it to the TEP for a node that was told it has none.
               auto finish = [this, l, answer, detail, waiting = std::move(waiting)](bool durable) {
                 if (!durable) {
                   ++counters_.store_failures;
                   log::error("lease " + l.ipv4.to_string() + ": could not record the failed allocation's removal");
                 }
                 answer(Status::kTepConfigError, std::nullopt, detail);
                 for (auto& w : waiting) w(false);
               };
               // An unanswered create may still have been applied: take it back (the row stays
               // as a tombstone until the TEP confirmed the delete).
               if (code == 0) {
                 put(tombstone(l), std::move(finish));
                 tep_delete(l.tep, l);
               } else {
                 remove(l.ipv4, std::move(finish));
               }
             });
  (void)session;
}

void LeaseService::node_delete(const tspnet::SessionPtr& session, const tsp::TunnelMessage& request,
                               tspnet::Answer answer) {
  auto a = node_addresses(request);
  std::optional<lease::Lease> l;
  if (a.ipv4) l = allocator_.find(*a.ipv4);
  const std::string identity =
      is_anonymous(*session) && a.ipv6 ? a.ipv6->to_string() : session->identity();
  if (!l || l->identity != identity) {
    ++counters_.rejected;
    return answer(Status::kAddressUnavailable, std::nullopt, "no lease of this node to delete");
  }
  tsp::TunnelMessage m;
  m.action = tsp::TunnelAction::kInfo;
  m.type = tsp::TunnelType::kV4V6;
  // Answered once the removal is committed: an acknowledged delete must not come back after a
  // crash (issue #5, as for creates).
  end_lease(*l, "deleted by the node", /*tell_node=*/false, [this, m, answer](bool durable) {
    if (!durable) {
      ++counters_.store_failures;
      return answer(Status::kStatusError, std::nullopt, "lease store write failed");
    }
    answer(Status::kSuccess, m, "released");
  });
}

void LeaseService::on_rejected(const tspnet::SessionPtr& session) {
  // The node refused the offer: the lease it was offered on this session ends now.
  for (const auto& [ip, st] : state_) {
    if (st.session.lock() == session) {
      if (auto l = allocator_.find(net::Ipv4Address::from_host(ip))) {
        end_lease(*l, "rejected by the node", false);
      }
      return;
    }
  }
}

lease::Lease LeaseService::tombstone(lease::Lease l) {
  l.expires_at = 0;  // ended: restore() reports it expired, so a restart sends the delete again
  return l;
}

void LeaseService::forget_ended(const lease::Lease& l) {
  // The address may have been leased again since: the row is then the new lease's. (Leased
  // and ended again since, the row is the newer tombstone and goes early: a narrower window.)
  if (state_.count(l.ipv4.to_host()) != 0) return;
  remove(l.ipv4);
}

void LeaseService::tep_delete(const std::string& tep_name, const lease::Lease& l, std::uint32_t retry_s) {
  TepClient* t = tep(tep_name);
  if (t == nullptr) return forget_ended(l);  // no TEP left to tell
  t->request(tep_request(tsp::TunnelAction::kDelete, l, false),
             [this, l, tep_name, retry_s](int code, std::optional<tsp::TunnelMessage>, std::string detail) {
               if (code == 200) return forget_ended(l);
               log::warning("Tunnel Delete " + l.ipv4.to_string() + " at TEP " + tep_name + ": " + detail);
               if (code != 0) return forget_ended(l);  // the agent answered: it has decided
               // Unreachable: the mapping may still forward at the TEP (issue #5: nothing
               // half-done survives). Try again, backing off, while the address is free; a new
               // lease of it re-configures the TEP itself (create with replace), and a delete
               // sent then could cut the new holder when it is the same node.
               auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::seconds(retry_s));
               timer->async_wait([this, timer, l, tep_name, retry_s](asio::error_code ec) {
                 if (ec || state_.count(l.ipv4.to_host()) != 0) return;
                 tep_delete(tep_name, l, std::min<std::uint32_t>(retry_s * 2, 60));
               });
             });
}

void LeaseService::end_lease(const lease::Lease& l, const std::string& reason, bool tell_node,
                             std::function<void(bool)> durable) {
  allocator_.release(l.ipv4);  // no-op after expire(), which already removed it
  auto it = state_.find(l.ipv4.to_host());
  std::string tep_name = it != state_.end() ? it->second.tep : "";
  if (tell_node && it != state_.end()) {
    if (auto s = it->second.session.lock(); s && s->open()) {
      tsp::TunnelMessage m;
      m.action = tsp::TunnelAction::kDelete;
      m.type = tsp::TunnelType::kV4V6;
      m.client = tsp::Endpoint{{{AddressType::kIpv4, l.ipv4.to_string()}, {AddressType::kIpv6, l.ipv6.to_string()}},
                               {}, {}, {}};
      if (s->send_request(m)) ++counters_.node_deletes_sent;
    }
  }
  if (it != state_.end()) erase_state(it);
  // Ended in the store now; with a TEP, the row stays as a tombstone until the TEP confirmed
  // the Tunnel Delete, so a crash before that does not leave the mapping forwarding forever.
  std::function<void(bool)> done = durable ? std::move(durable) : std::function<void(bool)>([](bool) {});
  if (tep_name.empty()) {
    remove(l.ipv4, std::move(done));
  } else {
    lease::Lease ended = l;
    ended.tep = tep_name;
    put(tombstone(ended), std::move(done));
    tep_delete(tep_name, ended);
  }
  ++counters_.releases;
  log::info("lease " + l.ipv4.to_string() + " (" + l.ipv6.to_string() + ") ended: " + reason);
}

bool LeaseService::release(net::Ipv4Address ipv4, const std::string& reason, std::function<void(bool)> durable) {
  auto l = allocator_.find(ipv4);
  if (!l) return false;
  end_lease(*l, reason, true, std::move(durable));
  return true;
}

void LeaseService::expire_due() {
  for (const auto& l : allocator_.expire(now_s())) {
    ++counters_.expirations;
    end_lease(l, "expired", true);
  }
}

std::string LeaseService::lease_state(net::Ipv4Address ipv4) const {
  auto it = state_.find(ipv4.to_host());
  if (it == state_.end()) return "-";
  return it->second.confirmed ? "active" : "configuring";
}

// Re-pushes restored leases to their TEPs, a bounded number at a time so the TEP clients'
// deadlines hold however many leases there are.
void LeaseService::push_resync() {
  constexpr std::size_t kInFlight = 64;
  while (resync_in_flight_ < kInFlight && !resync_.empty()) {
    lease::Lease l = resync_.front();
    resync_.pop_front();
    TepClient* t = tep(l.tep);
    if (t == nullptr) continue;
    ++resync_in_flight_;
    t->request(tep_request(tsp::TunnelAction::kCreate, l, true),
               [this, l](int code, std::optional<tsp::TunnelMessage> info, std::string detail) {
                 --resync_in_flight_;
                 auto it = state_.find(l.ipv4.to_host());
                 if (code == 200 && it != state_.end()) {
                   it->second.confirmed = true;
                   if (info && info->server) {
                     const tsp::Address* v4 = info->server->find(AddressType::kIpv4);
                     const tsp::Address* v6 = info->server->find(AddressType::kIpv6);
                     if (v4 && v6) tep_addresses_[l.tep] = TepAddresses{v4->value, v6->value};
                   }
                   auto waiting = std::move(it->second.on_confirmed);
                   for (auto& w : waiting) w(true);
                 } else if (code == 0 && it != state_.end()) {
                   resync_.push_back(l);  // TEP unreachable: try again later
                 } else if (code != 200) {
                   if (it != state_.end()) {
                     auto waiting = std::move(it->second.on_confirmed);
                     for (auto& w : waiting) w(false);
                   }
                   log::warning("resync of " + l.ipv4.to_string() + " at TEP " + l.tep + ": " + detail);
                 }
                 push_resync();
               });
  }
}

}  // namespace dstm::server

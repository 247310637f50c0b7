// The DTI's kernel backend, the shared address/route step, and backend selection (dti.h).
#include "dti.h"

#include <cerrno>

#include "tun_dti.h"
#include "util/log.h"

namespace dstm::client {

std::string_view backend_name(DtiBackend backend) {
  switch (backend) {
    case DtiBackend::kAuto: return "auto";
    case DtiBackend::kKernel: return "kernel";
    case DtiBackend::kTun: return "tun";
  }
  return "?";
}

Expected<void, DtiError> add_address_and_routes(nl::ChangeLog& changes, int ifindex, const DtiSettings& settings,
                                                const Lease& lease) {
  if (int rc = changes.apply(nl::build_address(true, ifindex, lease.ipv4), nl::build_address(false, ifindex, lease.ipv4));
      rc != 0) {
    return unexpected(DtiError{false, "cannot add " + lease.ipv4.to_string() + "/32 to " + settings.name + ": " +
                                          nl::errno_text(rc)});
  }
  for (const auto& prefix : settings.routes) {
    const int rc = changes.apply(nl::build_route(true, ifindex, prefix, lease.ipv4),
                                 nl::build_route(false, ifindex, prefix, lease.ipv4));
    if (rc == -EEXIST) {
      return unexpected(DtiError{false, "cannot add the route " + prefix.to_string() + " via " + settings.name +
                                            ": the node already has a route for it (remove it, or list other "
                                            "prefixes in dti.routes)"});
    }
    if (rc != 0) {
      return unexpected(DtiError{false, "cannot add the route " + prefix.to_string() + " via " + settings.name + ": " +
                                            nl::errno_text(rc)});
    }
  }
  return {};
}

Expected<void, DtiError> KernelDti::up(const Lease& lease) {
  if (up_) down();
  nl::Ip6TnlSpec spec{settings_.name, settings_.local, lease.tep_ipv6, settings_.mtu, settings_.encap_limit};
  const int rc = channel_.request(nl::build_ip6tnl_add(spec));
  if (rc == -EOPNOTSUPP || rc == -ENODEV || rc == -EAFNOSUPPORT || rc == -EPROTONOSUPPORT || rc == -ENOENT) {
    return unexpected(DtiError{true, "the kernel cannot create ip6tnl links (" + nl::errno_text(rc) + ")"});
  }
  if (rc == -EEXIST) {
    return unexpected(DtiError{false, "a link named " + settings_.name +
                                          " already exists (left by another program? `ip link del " +
                                          settings_.name + "` if it is stale)"});
  }
  if (rc != 0) return unexpected(DtiError{false, "cannot create ip6tnl " + settings_.name + ": " + nl::errno_text(rc)});
  const int ifindex = channel_.link_index(settings_.name);
  if (ifindex == 0) return unexpected(DtiError{false, "ip6tnl " + settings_.name + " vanished after creation"});
  changes_.remember(nl::build_link_delete(ifindex));
  if (auto r = add_address_and_routes(changes_, ifindex, settings_, lease); !r) {
    changes_.undo();
    return r;
  }
  up_ = true;
  log::info("DTI " + settings_.name + " (kernel ip6tnl ipip6) up: " + settings_.local.to_string() + " -> " +
            lease.tep_ipv6.to_string() + ", " + lease.ipv4.to_string() + "/32, " +
            std::to_string(settings_.routes.size()) + " route(s)");
  return {};
}

std::optional<std::string> KernelDti::down() {
  auto problem = changes_.undo();
  if (up_) log::info("DTI " + settings_.name + " removed");
  up_ = false;
  return problem;
}

AutoDti::AutoDti(asio::io_context& io, nl::Channel& channel, DtiSettings settings)
    : io_(io), channel_(channel), settings_(std::move(settings)) {}

AutoDti::~AutoDti() = default;

std::string_view AutoDti::backend() const { return chosen_ ? chosen_->backend() : "auto"; }

Expected<void, DtiError> AutoDti::up(const Lease& lease) {
  if (chosen_) return chosen_->up(lease);
  auto kernel = std::make_unique<KernelDti>(channel_, settings_);
  auto r = kernel->up(lease);
  if (r) {
    chosen_ = std::move(kernel);
    return r;
  }
  if (!r.error().unsupported) return r;
  log::info(r.error().text + ": using the TUN backend (user-space encapsulation) for " + settings_.name);
  chosen_ = std::make_unique<TunDti>(io_, channel_, settings_);
  return chosen_->up(lease);
}

std::unique_ptr<Dti> make_dti(asio::io_context& io, nl::Channel& channel, const DtiSettings& settings) {
  switch (settings.backend) {
    case DtiBackend::kKernel: return std::make_unique<KernelDti>(channel, settings);
    case DtiBackend::kTun: return std::make_unique<TunDti>(io, channel, settings);
    case DtiBackend::kAuto: break;
  }
  return std::make_unique<AutoDti>(io, channel, settings);
}

}  // namespace dstm::client

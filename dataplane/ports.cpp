#include "ports.h"

#include <rte_ethdev.h>
#include <rte_malloc.h>

namespace dstm::dp {
namespace {

constexpr std::uint16_t kRxDescriptors = 1024;
constexpr std::uint16_t kTxDescriptors = 1024;

std::string port_error(std::uint16_t port, const char* what, int rc) {
  return "port " + std::to_string(port) + ": " + what + " failed: " + rte_strerror(-rc);
}

dstm::Expected<void, std::string> start_port(Runtime& rt, std::uint16_t port, std::uint16_t queues) {
  if (!rte_eth_dev_is_valid_port(port)) {
    return dstm::unexpected("port " + std::to_string(port) + " does not exist (" +
                            std::to_string(rte_eth_dev_count_avail()) +
                            " port(s) from EAL: check --vdev / -a options)");
  }
  rte_eth_dev_info info{};
  if (int rc = rte_eth_dev_info_get(port, &info); rc != 0) return dstm::unexpected(port_error(port, "info", rc));
  rte_eth_conf conf{};
  if (queues > 1) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP & info.flow_type_rss_offloads;
  }
  if (queues > info.max_rx_queues || queues > info.max_tx_queues) {
    return dstm::unexpected("port " + std::to_string(port) + " has too few queues for " +
                            std::to_string(queues) + " workers");
  }
  if (int rc = rte_eth_dev_configure(port, queues, queues, &conf); rc != 0) {
    return dstm::unexpected(port_error(port, "configure", rc));
  }
  const int socket = rte_eth_dev_socket_id(port);
  for (std::uint16_t q = 0; q < queues; ++q) {
    if (int rc = rte_eth_rx_queue_setup(port, q, kRxDescriptors, static_cast<unsigned>(socket), nullptr, rt.pool); rc != 0) {
      return dstm::unexpected(port_error(port, "rx queue setup", rc));
    }
    if (int rc = rte_eth_tx_queue_setup(port, q, kTxDescriptors, static_cast<unsigned>(socket), nullptr); rc != 0) {
      return dstm::unexpected(port_error(port, "tx queue setup", rc));
    }
  }
  if (int rc = rte_eth_dev_start(port); rc != 0) return dstm::unexpected(port_error(port, "start", rc));
  rte_eth_promiscuous_enable(port);  // VLAN and next-hop filtering is ours; not every PMD can
  for (auto& w : rt.workers) {
    auto* buffer = static_cast<rte_eth_dev_tx_buffer*>(
        rte_zmalloc_socket("dstm_tx", RTE_ETH_TX_BUFFER_SIZE(kTxBufferSize), 0, socket));
    if (buffer == nullptr) return dstm::unexpected(std::string("out of memory for TX buffers"));
    rte_eth_tx_buffer_init(buffer, kTxBufferSize);
    w->tx[port] = buffer;
  }
  return {};
}

net::MacAddress mac_of(std::uint16_t port) {
  rte_ether_addr a{};
  rte_eth_macaddr_get(port, &a);
  return net::MacAddress::from_bytes(a.addr_bytes);
}

}  // namespace

dstm::Expected<void, std::string> start_ports(Runtime& rt, std::uint16_t queues) {
  auto six = start_port(rt, rt.ipv6_side.port, queues);
  if (!six) return six;
  if (!rt.one_port()) {
    auto four = start_port(rt, rt.ipv4_side.port, queues);
    if (!four) return four;
  }
  rt.ipv6_side.port_mac = mac_of(rt.ipv6_side.port);
  rt.ipv4_side.port_mac = mac_of(rt.ipv4_side.port);
  return {};
}

void stop_ports(const Runtime& rt) {
  for (std::uint16_t port : {rt.ipv6_side.port, rt.ipv4_side.port}) {
    if (!rte_eth_dev_is_valid_port(port)) continue;
    rte_eth_dev_stop(port);
    rte_eth_dev_close(port);  // returns the mbufs the driver still holds to the pool
    if (rt.one_port()) break;
  }
  for (const auto& w : rt.workers) {
    for (auto* buffer : w->tx) rte_free(buffer);
  }
}

}  // namespace dstm::dp

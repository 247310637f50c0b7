#include "l2.h"

namespace dstm::dp {
namespace {

struct L2Info {
  std::uint16_t ethertype = 0;
  std::optional<std::uint16_t> vlan;
  std::uint32_t length = 0;
};

std::optional<L2Info> parse_l2(const PacketBuf& pkt) {
  auto eth = net::EthernetHeader::at(pkt.bytes());
  if (!eth) return std::nullopt;
  L2Info info{eth->ethertype(), std::nullopt, net::EthernetHeader::kSize};
  if (info.ethertype == net::kEtherTypeVlan) {
    auto tag = net::VlanTag::at(pkt.bytes().subspan(net::EthernetHeader::kSize));
    if (!tag) return std::nullopt;
    info.vlan = tag->vid();
    info.ethertype = tag->inner_ethertype();
    info.length += net::VlanTag::kSize;
  }
  return info;
}

bool on_side(const Side& side, std::uint16_t port, const std::optional<std::uint16_t>& vlan) {
  return side.port == port && side.vlan == vlan;
}

}  // namespace

Ingress classify_and_strip(const Runtime& rt, std::uint16_t port, PacketBuf& pkt) {
  const bool node_port = rt.ipv6_side.port == port;
  auto l2 = parse_l2(pkt);
  if (!l2) return node_port ? Ingress::kMisplacedNodePort : Ingress::kMisplacedInternetPort;
  bool node = on_side(rt.ipv6_side, port, l2->vlan);
  bool internet = on_side(rt.ipv4_side, port, l2->vlan);
  if (node && internet) {  // one port, no VLANs: the EtherType decides
    node = l2->ethertype == net::kEtherTypeIpv6;
    internet = !node;
  }
  if (node) {
    if (l2->ethertype != net::kEtherTypeIpv6) return Ingress::kMisplacedNodePort;
    pkt.adj(l2->length);
    return Ingress::kNodeSide;
  }
  if (internet && l2->ethertype == net::kEtherTypeArp) {
    pkt.adj(l2->length);
    return Ingress::kInternetArp;
  }
  if (internet) {
    if (l2->ethertype != net::kEtherTypeIpv4) return Ingress::kMisplacedInternetPort;
    pkt.adj(l2->length);
    return Ingress::kInternetSide;
  }
  return node_port ? Ingress::kMisplacedNodePort : Ingress::kMisplacedInternetPort;
}

bool push_l2(PacketBuf& pkt, const Side& side, std::uint16_t ethertype, const net::MacAddress& dst) {
  const std::uint32_t size = net::EthernetHeader::kSize + (side.vlan ? net::VlanTag::kSize : 0u);
  if (pkt.prepend(size) == nullptr) return false;
  auto eth = net::EthernetHeader::at(pkt.bytes());
  eth->set_dst(dst);
  eth->set_src(side.port_mac);
  if (side.vlan) {
    eth->set_ethertype(net::kEtherTypeVlan);
    auto tag = net::VlanTag::at(pkt.bytes().subspan(net::EthernetHeader::kSize));
    tag->set_tci(0);
    tag->set_vid(*side.vlan);
    tag->set_inner_ethertype(ethertype);
  } else {
    eth->set_ethertype(ethertype);
  }
  return true;
}

}  // namespace dstm::dp

// Link-layer header views: Ethernet II, an 802.1Q/802.1ad tag, and ARP for Ethernet/IPv4.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "net/address.h"
#include "net/header_view.h"
#include "net/mac_address.h"
#include "net/protocols.h"

namespace dstm::net {

// Ethernet II: destination, source, EtherType. A VLAN-tagged frame has kEtherTypeVlan (or
// kEtherTypeQinQ) here and a VlanTag view at payload().
class EthernetHeader : public detail::HeaderView {
 public:
  static constexpr std::size_t kSize = 14;

  static std::optional<EthernetHeader> at(std::span<std::uint8_t> bytes) {
    if (bytes.size() < kSize) return std::nullopt;
    return EthernetHeader(bytes);
  }

  MacAddress dst() const { return MacAddress::from_bytes(ptr(0)); }
  MacAddress src() const { return MacAddress::from_bytes(ptr(6)); }
  std::uint16_t ethertype() const { return u16(12); }
  std::span<std::uint8_t> payload() const { return bytes().subspan(kSize); }

  void set_dst(const MacAddress& m) { m.to_bytes(ptr(0)); }
  void set_src(const MacAddress& m) { m.to_bytes(ptr(6)); }
  void set_ethertype(std::uint16_t v) { set_u16(12, v); }

 private:
  explicit EthernetHeader(std::span<std::uint8_t> bytes) : HeaderView(bytes) {}
};

// The four bytes after a kEtherTypeVlan/kEtherTypeQinQ EtherType (IEEE 802.1Q §9.6): the TCI
// (PCP 3 bits, DEI 1 bit, VID 12 bits) and the EtherType of what follows.
class VlanTag : public detail::HeaderView {
 public:
  static constexpr std::size_t kSize = 4;

  static std::optional<VlanTag> at(std::span<std::uint8_t> bytes) {
    if (bytes.size() < kSize) return std::nullopt;
    return VlanTag(bytes);
  }

  std::uint16_t tci() const { return u16(0); }
  std::uint16_t vid() const { return tci() & 0x0FFF; }
  std::uint8_t pcp() const { return static_cast<std::uint8_t>(tci() >> 13); }
  bool dei() const { return (tci() & 0x1000) != 0; }
  std::uint16_t inner_ethertype() const { return u16(2); }
  std::span<std::uint8_t> payload() const { return bytes().subspan(kSize); }

  void set_tci(std::uint16_t v) { set_u16(0, v); }
  void set_vid(std::uint16_t vid) {
    set_tci(static_cast<std::uint16_t>((tci() & 0xF000) | (vid & 0x0FFF)));
  }
  void set_pcp(std::uint8_t pcp) {
    set_tci(static_cast<std::uint16_t>((tci() & 0x1FFF) | ((pcp & 0x7) << 13)));
  }
  void set_dei(bool dei) {
    set_tci(static_cast<std::uint16_t>((tci() & 0xEFFF) | (dei ? 0x1000 : 0)));
  }
  void set_inner_ethertype(std::uint16_t v) { set_u16(2, v); }

 private:
  explicit VlanTag(std::span<std::uint8_t> bytes) : HeaderView(bytes) {}
};

// ARP packet (RFC 826) with the Ethernet/IPv4 sizes. at() checks only the length; call
// is_ethernet_ipv4() before trusting the address fields.
class ArpHeader : public detail::HeaderView {
 public:
  static constexpr std::size_t kSize = 28;

  static std::optional<ArpHeader> at(std::span<std::uint8_t> bytes) {
    if (bytes.size() < kSize) return std::nullopt;
    return ArpHeader(bytes);
  }

  std::uint16_t hardware_type() const { return u16(0); }
  std::uint16_t protocol_type() const { return u16(2); }
  std::uint8_t hardware_length() const { return u8(4); }
  std::uint8_t protocol_length() const { return u8(5); }
  std::uint16_t op() const { return u16(6); }
  MacAddress sha() const { return MacAddress::from_bytes(ptr(8)); }
  Ipv4Address spa() const { return Ipv4Address::from_bytes(ptr(14)); }
  MacAddress tha() const { return MacAddress::from_bytes(ptr(18)); }
  Ipv4Address tpa() const { return Ipv4Address::from_bytes(ptr(24)); }

  bool is_ethernet_ipv4() const {
    return hardware_type() == kArpHardwareEthernet && protocol_type() == kEtherTypeIpv4 &&
           hardware_length() == MacAddress::kSize && protocol_length() == Ipv4Address::kSize;
  }

  // Writes htype, ptype, hlen and plen for Ethernet/IPv4.
  void set_ethernet_ipv4() {
    set_u16(0, kArpHardwareEthernet);
    set_u16(2, kEtherTypeIpv4);
    set_u8(4, static_cast<std::uint8_t>(MacAddress::kSize));
    set_u8(5, static_cast<std::uint8_t>(Ipv4Address::kSize));
  }
  void set_op(std::uint16_t v) { set_u16(6, v); }
  void set_sha(const MacAddress& m) { m.to_bytes(ptr(8)); }
  void set_spa(Ipv4Address a) { a.to_bytes(ptr(14)); }
  void set_tha(const MacAddress& m) { m.to_bytes(ptr(18)); }
  void set_tpa(Ipv4Address a) { a.to_bytes(ptr(24)); }

 private:
  explicit ArpHeader(std::span<std::uint8_t> bytes) : HeaderView(bytes) {}
};

}  // namespace dstm::net

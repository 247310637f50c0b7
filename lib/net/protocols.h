// Protocol numbers, one place for all of dstm (DESIGN.md: one source of truth per fact).
#pragma once

#include <cstdint>

namespace dstm::net {

// EtherTypes (IEEE 802.3 / IANA "ieee-802-numbers").
inline constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr std::uint16_t kEtherTypeArp = 0x0806;
inline constexpr std::uint16_t kEtherTypeVlan = 0x8100;  // IEEE 802.1Q C-tag
inline constexpr std::uint16_t kEtherTypeIpv6 = 0x86DD;
inline constexpr std::uint16_t kEtherTypeQinQ = 0x88A8;  // IEEE 802.1ad S-tag

// IP protocol / IPv6 next-header numbers (IANA "protocol-numbers").
inline constexpr std::uint8_t kProtoHopByHop = 0;  // IPv6 Hop-by-Hop Options, RFC 8200 §4.3
inline constexpr std::uint8_t kProtoIcmp = 1;
inline constexpr std::uint8_t kProtoIpv4InIpv6 = 4;  // "IPv4" / IP-in-IP: the DSTM payload
inline constexpr std::uint8_t kProtoTcp = 6;
inline constexpr std::uint8_t kProtoUdp = 17;
inline constexpr std::uint8_t kProtoIpv6 = 41;
inline constexpr std::uint8_t kProtoIpv6Route = 43;  // RFC 8200 §4.4
inline constexpr std::uint8_t kProtoIpv6Frag = 44;   // RFC 8200 §4.5
inline constexpr std::uint8_t kProtoGre = 47;
inline constexpr std::uint8_t kProtoIcmpv6 = 58;
inline constexpr std::uint8_t kProtoNoNext = 59;
inline constexpr std::uint8_t kProtoIpv6Opts = 60;  // Destination Options, RFC 8200 §4.6

// ICMPv4 types and the codes the TEP sends (RFC 792, RFC 1191).
inline constexpr std::uint8_t kIcmpEchoReply = 0;
inline constexpr std::uint8_t kIcmpDestUnreachable = 3;
inline constexpr std::uint8_t kIcmpEchoRequest = 8;
inline constexpr std::uint8_t kIcmpTimeExceeded = 11;
inline constexpr std::uint8_t kIcmpParameterProblem = 12;
inline constexpr std::uint8_t kIcmpCodeHostUnreachable = 1;
inline constexpr std::uint8_t kIcmpCodeFragmentationNeeded = 4;  // RFC 1191 §4: MTU in rest
inline constexpr std::uint8_t kIcmpCodeTtlExceeded = 0;

// ICMPv6 types (RFC 4443 §2.1, RFC 4861 §4).
inline constexpr std::uint8_t kIcmpv6DestUnreachable = 1;
inline constexpr std::uint8_t kIcmpv6PacketTooBig = 2;
inline constexpr std::uint8_t kIcmpv6TimeExceeded = 3;
inline constexpr std::uint8_t kIcmpv6ParameterProblem = 4;
inline constexpr std::uint8_t kIcmpv6EchoRequest = 128;
inline constexpr std::uint8_t kIcmpv6EchoReply = 129;
inline constexpr std::uint8_t kIcmpv6RouterSolicitation = 133;
inline constexpr std::uint8_t kIcmpv6RouterAdvertisement = 134;
inline constexpr std::uint8_t kIcmpv6NeighborSolicitation = 135;
inline constexpr std::uint8_t kIcmpv6NeighborAdvertisement = 136;

// ARP (RFC 826) for Ethernet/IPv4.
inline constexpr std::uint16_t kArpHardwareEthernet = 1;
inline constexpr std::uint16_t kArpOpRequest = 1;
inline constexpr std::uint16_t kArpOpReply = 2;

}  // namespace dstm::net

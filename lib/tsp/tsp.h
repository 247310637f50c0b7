// dstm's Tunnel Setup Protocol library — the one header other code includes.
//
//   ServerSession / ClientSession   one TSP session each, transport-agnostic (server_session.h,
//                                   client_session.h)
//   TunnelMessage, parse_tunnel,    the XML tunnel model (message/tunnel.h, message/tunnel_xml.h)
//   serialize_tunnel
//   Status                          the return codes (status.h, status_codes.def)
//   RudpServerPeer, RudpClientPeer  the reliable-UDP header and duplicate handling (rudp.h)
//   sasl::CredentialStore,          credentials and mechanisms (sasl/credentials.h,
//   sasl::make_user_record          sasl/mechanism.h)
#pragma once

#include "tsp/client_session.h"
#include "tsp/framing.h"
#include "tsp/handshake.h"
#include "tsp/message/tunnel.h"
#include "tsp/message/tunnel_xml.h"
#include "tsp/rudp.h"
#include "tsp/sasl/credentials.h"
#include "tsp/sasl/crypto.h"
#include "tsp/sasl/mechanism.h"
#include "tsp/server_session.h"
#include "tsp/status.h"

// TSP return codes, by name. The list itself lives in status_codes.def.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dstm::tsp {

enum class Status : std::uint16_t {
#define DSTM_TSP_STATUS(name, code, reason) name = code,
#include "tsp/status_codes.def"
#undef DSTM_TSP_STATUS
};

// draft-blanchet-v6ops-tunnelbroker-tsp-00 §"Return codes": "if a list of tunnel servers is
// following the error code as a referal service, then 1000 is added to the error code".
// gogoc treats any code > 1000 as a redirect (tsp-digest.md §2.5).
inline constexpr int kReferralOffset = 1000;

constexpr int code_of(Status s) { return static_cast<int>(s); }
constexpr int referral_code_of(Status s) { return code_of(s) + kReferralOffset; }
constexpr bool is_referral_code(int code) { return code > kReferralOffset; }

// The reason phrase we send for a status ("Success", "Authentication failed", ...).
std::string_view reason_of(Status s);

// Status for a numeric code, if it is one of ours (referrals: pass code - 1000).
std::optional<Status> status_from_code(int code);

// "300 Authentication failed\r\n" — a whole status line as sent on the wire.
std::string status_line(Status s);
// "1302 Unsupported client version\r\n" — the referral form of a status line.
std::string referral_status_line(Status s);

}  // namespace dstm::tsp

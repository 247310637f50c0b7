#include "tsp/status.h"

#include <string>

namespace dstm::tsp {

std::string_view reason_of(Status s) {
  switch (s) {
#define DSTM_TSP_STATUS(name, code, reason) \
  case Status::name:                        \
    return reason;
#include "tsp/status_codes.def"
#undef DSTM_TSP_STATUS
  }
  return "Unknown status";
}

std::optional<Status> status_from_code(int code) {
  switch (code) {
#define DSTM_TSP_STATUS(name, value, reason) \
  case value:                                \
    return Status::name;
#include "tsp/status_codes.def"
#undef DSTM_TSP_STATUS
    default:
      return std::nullopt;
  }
}

std::string status_line(Status s) {
  return std::to_string(code_of(s)) + " " + std::string(reason_of(s)) + "\r\n";
}

std::string referral_status_line(Status s) {
  return std::to_string(referral_code_of(s)) + " " + std::string(reason_of(s)) + "\r\n";
}

}  // namespace dstm::tsp

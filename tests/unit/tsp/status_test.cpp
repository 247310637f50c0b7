#include <catch2/catch.hpp>

#include "tsp/status.h"

using dstm::tsp::Status;

TEST_CASE("status lines carry the code and the reason phrase", "[tsp][status]") {
  CHECK(dstm::tsp::status_line(Status::kSuccess) == "200 Success\r\n");
  CHECK(dstm::tsp::status_line(Status::kUnsupportedVersion) == "302 Unsupported client version\r\n");
  CHECK(dstm::tsp::referral_status_line(Status::kUnsupportedVersion) ==
        "1302 Unsupported client version\r\n");
}

TEST_CASE("every code in the table maps back to its name", "[tsp][status]") {
  for (int code = 0; code < 1000; ++code) {
    auto s = dstm::tsp::status_from_code(code);
    if (s) CHECK(dstm::tsp::code_of(*s) == code);
  }
  CHECK(dstm::tsp::status_from_code(306) == Status::kPoolExhausted);
  CHECK(dstm::tsp::status_from_code(307) == Status::kTepConfigError);
  CHECK(dstm::tsp::status_from_code(308) == Status::kAddressUnavailable);
  CHECK(dstm::tsp::status_from_code(309) == Status::kInvalidIpv6);
  CHECK_FALSE(dstm::tsp::status_from_code(304).has_value());
  CHECK(dstm::tsp::is_referral_code(1302));
  CHECK_FALSE(dstm::tsp::is_referral_code(530));
}

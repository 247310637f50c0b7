// dstm-passwd: makes and checks lines of the TSP users file (README "TSP users file").
//
//   dstm-passwd [--realm R] [--iterations N] USERNAME   reads the password from the first line
//                                                      of standard input, prints the user's line
//   dstm-passwd --check FILE                            loads FILE, reports file:line errors
//
// The line holds a SCRAM-SHA-256 verifier and the DIGEST-MD5 HA1 for the realm, never the
// password itself.
#include <charconv>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>

#include "tsp/sasl/credentials.h"
#include "tsp/sasl/crypto.h"

namespace {

using namespace dstm::tsp::sasl;

constexpr const char* kUsage =
    "usage: dstm-passwd [--realm REALM] [--iterations N] USERNAME   (password on stdin)\n"
    "       dstm-passwd --check FILE\n"
    "  Prints the TSP users-file line for USERNAME: a SCRAM-SHA-256 verifier (N iterations,\n"
    "  default 4096) and the DIGEST-MD5 HA1 for REALM (default \"dstm\", the servers' default).\n"
    "  --check loads FILE and prints each error as FILE:LINE: message; exit 1 if any.\n";

int check(const std::string& path) {
  auto store = FileCredentialStore::load(path);
  if (!store) {
    std::fprintf(stderr, "%s\n", store.error().c_str());
    return 1;
  }
  std::printf("%s: %zu user(s), no errors\n", path.c_str(), store->size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string realm = "dstm";
  std::uint32_t iterations = kDefaultScramIterations;
  std::string username;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "dstm-passwd: %s needs a value\n%s", name, kUsage);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--check") {
      return check(value("--check"));
    } else if (arg == "--realm") {
      realm = value("--realm");
    } else if (arg == "--iterations") {
      std::string_view v = value("--iterations");
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), iterations);
      if (ec != std::errc{} || end != v.data() + v.size() || iterations < kMinScramIterations ||
          iterations > kMaxScramIterations) {
        std::fprintf(stderr, "dstm-passwd: --iterations must be %u..%u\n", kMinScramIterations,
                     kMaxScramIterations);
        return 2;
      }
    } else if (!arg.empty() && arg[0] == '-') {
      std::fprintf(stderr, "dstm-passwd: unknown option %s\n%s", argv[i], kUsage);
      return 2;
    } else if (username.empty()) {
      username = arg;
    } else {
      std::fprintf(stderr, "dstm-passwd: one USERNAME only\n%s", kUsage);
      return 2;
    }
  }
  if (username.empty() || username[0] == '#' ||
      username.find_first_of(" \t\r\n") != std::string::npos) {
    std::fprintf(stderr, "dstm-passwd: a USERNAME without blanks is required\n%s", kUsage);
    return 2;
  }
  std::string password;
  if (!std::getline(std::cin, password) || password.empty()) {
    std::fprintf(stderr, "dstm-passwd: no password on standard input\n");
    return 2;
  }
  OpenSslNonceSource salts;
  std::printf("%s\n", format_record_line(make_user_record(username, password, realm, iterations, salts)).c_str());
  return 0;
}

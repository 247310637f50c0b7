// dstm::config — reading the project's TOML configuration files (toml++) the one way every
// daemon does it: unknown keys and tables refused, every error as "FILE:LINE: KEY: what", only
// the first error reported (later checks would often just repeat it).
//
// Usage: declare the schema (every table and every value key as dotted paths), parse(), then
// read each table through a Section with typed getters that record the first error. A key that
// is absent leaves the caller's default in place.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "net/net.h"
#include "util/expected.h"

namespace dstm::config {

using Line = std::uint32_t;

struct Schema {
  std::span<const std::string_view> tables;      // e.g. "tsp", "tsp.tls"
  std::span<const std::string_view> value_keys;  // e.g. "tsp.listen"
};

// Holds the first error; later failures are dropped.
class Errors {
 public:
  explicit Errors(std::string_view source) : source_(source) {}
  void fail(Line line, std::string_view key, std::string_view what);
  bool failed() const { return first_.has_value(); }
  const std::string& first() const { return *first_; }
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::optional<std::string> first_;
};

// Parses `text` (named `source` in errors) and checks its shape against `schema`: the error of
// the earliest offending line, or the document.
Expected<toml::table, std::string> parse(std::string_view text, std::string_view source,
                                         const Schema& schema);

// The tables of an array of tables (`[[name]]` at the top level); each element's keys are
// checked against `keys` (unknown ones are errors naming "name[i].key"). Declare `name` as a
// value key of the Schema. Empty when absent.
std::vector<const toml::table*> table_array(const toml::table& root, std::string_view name,
                                            std::span<const std::string_view> keys, Errors& errors);

// The whole file, or "PATH: cannot read: <errno text>".
Expected<std::string, std::string> read_text_file(const std::string& path);

// One table of the document (possibly absent) and typed getters for its keys.
class Section {
 public:
  Section(const toml::table& root, std::string_view path, Errors& errors);
  // One element of an array of tables ([[tep]]), named `display` ("tep[0]") in errors.
  Section(const toml::table* table, std::string display, Errors& errors);

  const toml::node* get(std::string_view key) const;
  bool present() const { return table_ != nullptr; }
  std::string name(std::string_view key) const;
  Line header_line() const;
  void fail(const toml::node& n, std::string_view key, std::string_view what);
  void fail_key(std::string_view key, std::string_view what);  // at the key, or the header
  void missing(std::string_view key);

  std::optional<std::int64_t> integer(std::string_view key, std::int64_t lo, std::int64_t hi);
  template <class T>
  void integer_into(std::string_view key, std::int64_t lo, std::int64_t hi, T& out) {
    if (auto x = integer(key, lo, hi)) out = static_cast<T>(*x);
  }
  void boolean_into(std::string_view key, bool& out);
  std::optional<std::string_view> string_of(const toml::node& n, std::string_view display);
  // An optional string; `required` reports a missing key.
  std::optional<std::string> string(std::string_view key, bool required = false);
  void string_into(std::string_view key, std::string& out, bool required = false);
  // An array of strings (each element checked); nullopt when absent or wrong.
  std::optional<std::vector<std::string>> strings(std::string_view key, bool required = false);
  // A required array with at least one element; nullptr (and an error) otherwise.
  const toml::array* nonempty_array(std::string_view key, std::string_view example);

  // An optional unicast MAC address (xx:xx:xx:xx:xx:xx).
  void mac_into(std::string_view key, std::optional<net::MacAddress>& out);
  std::optional<net::Ipv4Address> ipv4(std::string_view key, bool required = false);
  std::optional<net::Ipv6Address> ipv6(std::string_view key, bool required = false);
  // A list of IPv4 / IPv6 prefixes (strict: host bits refused, with a "did you mean" hint).
  std::optional<std::vector<net::Ipv4Prefix>> ipv4_prefixes(std::string_view key, bool required);
  std::optional<std::vector<net::Ipv6Prefix>> ipv6_prefixes(std::string_view key, bool required);

 private:
  std::string path_;
  Errors& errors_;
  const toml::table* table_ = nullptr;
};

}  // namespace dstm::config

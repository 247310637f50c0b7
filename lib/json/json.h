// JSON values, a strict RFC 8259 parser and its serializers: the language of the control
// sockets (controlplane/ctl/PROTOCOL.md) that dstm-agent, dstm-server and dstmctl speak.
// No DPDK, no dependency beyond the standard library.
//
// Numbers: integers are kept exact. A number written without fraction or exponent is an
// integer when it fits std::int64_t, or std::uint64_t above INT64_MAX; anything else ("1.5",
// "1e3", integers beyond 64 bits) is a double. A value holds a uint64 only above INT64_MAX, so
// Value(std::uint64_t{5}) == Value(5). Integers and doubles never compare equal (1 != 1.0):
// the serializer writes doubles with a '.' or an exponent, so a round trip keeps the kind.
//
// Accessors never fail: asked for another type, the const ones answer false, 0, "", or an
// empty array/object; the mutable as_array()/as_object() turn the value into an empty
// array/object first (so check is_...() before using them on input you did not build).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "util/expected.h"

namespace dstm::json {

class Value;
using Array = std::vector<Value>;
using Object = std::vector<std::pair<std::string, Value>>;  // keeps insertion order

class Value {
 public:
  Value() = default;  // null
  Value(std::nullptr_t) {}
  Value(bool b) : v_(b) {}
  Value(std::int64_t i) : v_(i) {}
  Value(int i) : v_(std::int64_t{i}) {}
  Value(std::uint64_t u);
  // The other integer types (unsigned, long long, ...), so Value(5u) is not ambiguous.
  template <class T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char>) Value(T i)
      : Value(convert(i)) {}
  Value(double d) : v_(d) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(std::string_view s) : v_(std::string(s)) {}
  Value(Array a) : v_(std::move(a)) {}
  Value(Object o) : v_(std::move(o)) {}

  bool is_null() const { return v_.index() == kNull; }
  bool is_bool() const { return v_.index() == kBool; }
  bool is_number() const { return is_integer() || v_.index() == kDouble; }
  bool is_integer() const { return v_.index() == kInt || v_.index() == kUint; }
  bool is_string() const { return v_.index() == kString; }
  bool is_array() const { return v_.index() == kArray; }
  bool is_object() const { return v_.index() == kObject; }
  // True for an integer that fits std::int64_t (as_int() is then exact).
  bool is_int64() const { return v_.index() == kInt; }
  // True for a non-negative integer (as_uint() is then exact).
  bool is_uint64() const;

  bool as_bool() const;
  // Numbers convert with saturation: as_int() of 2^64-1 is INT64_MAX, as_uint() of -1 is 0;
  // a double is truncated toward zero.
  std::int64_t as_int() const;
  std::uint64_t as_uint() const;
  double as_double() const;
  const std::string& as_string() const;
  const Array& as_array() const;
  Array& as_array();
  const Object& as_object() const;
  Object& as_object();

  // Object member (the first with this key), or nullptr (also when this is not an object).
  const Value* find(std::string_view key) const;
  // Object: the member with this key, appended as null when missing. A null value becomes an
  // empty object first; any other non-object is replaced by an empty object.
  Value& operator[](std::string_view key);
  // Array: appends. A null value becomes an empty array first; any other non-array is
  // replaced by an empty array.
  void push_back(Value v);

  // Deep equality. Objects compare as sets of members (order does not matter); integers
  // compare by value whatever their C++ type; an integer never equals a double.
  friend bool operator==(const Value& a, const Value& b);

 private:
  template <class T>
  static Value convert(T i) {
    if constexpr (std::is_signed_v<T>) {
      return Value(static_cast<std::int64_t>(i));
    } else {
      return Value(static_cast<std::uint64_t>(i));
    }
  }

  enum Index : std::size_t { kNull, kBool, kInt, kUint, kDouble, kString, kArray, kObject };
  std::variant<std::nullptr_t, bool, std::int64_t, std::uint64_t, double, std::string, Array,
               Object>
      v_;
};

struct Limits {
  std::size_t max_bytes = 1 << 20;    // the whole text
  std::size_t max_depth = 32;         // nested arrays/objects (the parser recurses this deep)
  std::size_t max_elements = 100000;  // values in the document, containers included
};

// Strict RFC 8259: one value with optional whitespace around it (any type at the top level,
// §2); no comments, trailing commas, single quotes, leading zeros, '+', NaN or Infinity; only
// valid UTF-8 (§8.1; no byte order mark); escapes as §7, a \uD8xx\uDCxx pair is one code
// point and a lone surrogate is an error; duplicate object keys are an error (§4 leaves them
// unpredictable, so a control protocol refuses them). A number too large for a double is an
// error; one too small becomes 0. The error reads "offset N: what".
Expected<Value, std::string> parse(std::string_view text, const Limits& limits = {});

// Compact, one line, no spaces. Strings are escaped as RFC 8259 §7 asks ('"', '\\', and the
// control characters: \b \f \n \r \t or \u00XX); bytes that are not valid UTF-8 are written
// as U+FFFD so the output is always valid JSON. Doubles in the shortest form that reads back
// to the same double, with ".0" added when it would look like an integer; NaN and infinities
// (which JSON cannot write) as null.
std::string serialize(const Value& v);
// The same text over several lines, `indent` spaces per level; "[]" and "{}" when empty.
std::string serialize_pretty(const Value& v, int indent = 2);

}  // namespace dstm::json

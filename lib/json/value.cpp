// json::Value: accessors, building, equality.
#include <algorithm>
#include <limits>

#include "json/json.h"

namespace dstm::json {

namespace {
const std::string kEmptyString;
const Array kEmptyArray;
const Object kEmptyObject;
constexpr std::uint64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
}  // namespace

// One representation per integer: a uint64 only above INT64_MAX, so that equality and
// is_int64() do not depend on which constructor built the value.
Value::Value(std::uint64_t u) {
  if (u <= kInt64Max) {
    v_ = static_cast<std::int64_t>(u);
  } else {
    v_ = u;
  }
}

bool Value::is_uint64() const {
  return v_.index() == kUint || (v_.index() == kInt && std::get<kInt>(v_) >= 0);
}

bool Value::as_bool() const {
  return is_bool() && std::get<kBool>(v_);
}

std::int64_t Value::as_int() const {
  switch (v_.index()) {
    case kInt:
      return std::get<kInt>(v_);
    case kUint:
      return std::numeric_limits<std::int64_t>::max();
    case kDouble: {
      double d = std::get<kDouble>(v_);
      if (!(d == d)) return 0;  // NaN
      // 2^63 is the first double above the range; -2^63 is exact.
      if (d >= 9223372036854775808.0) return std::numeric_limits<std::int64_t>::max();
      if (d <= -9223372036854775808.0) return std::numeric_limits<std::int64_t>::min();
      return static_cast<std::int64_t>(d);
    }
    default:
      return 0;
  }
}

std::uint64_t Value::as_uint() const {
  switch (v_.index()) {
    case kInt:
      return std::get<kInt>(v_) < 0 ? 0 : static_cast<std::uint64_t>(std::get<kInt>(v_));
    case kUint:
      return std::get<kUint>(v_);
    case kDouble: {
      double d = std::get<kDouble>(v_);
      if (!(d > 0)) return 0;  // negative, zero or NaN
      if (d >= 18446744073709551616.0) return std::numeric_limits<std::uint64_t>::max();
      return static_cast<std::uint64_t>(d);
    }
    default:
      return 0;
  }
}

double Value::as_double() const {
  switch (v_.index()) {
    case kInt:
      return static_cast<double>(std::get<kInt>(v_));
    case kUint:
      return static_cast<double>(std::get<kUint>(v_));
    case kDouble:
      return std::get<kDouble>(v_);
    default:
      return 0;
  }
}

const std::string& Value::as_string() const {
  return is_string() ? std::get<kString>(v_) : kEmptyString;
}
const Array& Value::as_array() const {
  return is_array() ? std::get<kArray>(v_) : kEmptyArray;
}
Array& Value::as_array() {
  if (!is_array()) v_ = Array{};
  return std::get<kArray>(v_);
}
const Object& Value::as_object() const {
  return is_object() ? std::get<kObject>(v_) : kEmptyObject;
}
Object& Value::as_object() {
  if (!is_object()) v_ = Object{};
  return std::get<kObject>(v_);
}

const Value* Value::find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& [k, v] : std::get<kObject>(v_)) {
    if (k == key) return &v;
  }
  return nullptr;
}

Value& Value::operator[](std::string_view key) {
  Object& members = as_object();
  for (auto& [k, v] : members) {
    if (k == key) return v;
  }
  members.emplace_back(std::string(key), Value());
  return members.back().second;
}

void Value::push_back(Value v) {
  as_array().push_back(std::move(v));
}

bool operator==(const Value& a, const Value& b) {
  if (a.v_.index() != b.v_.index()) return false;
  switch (a.v_.index()) {
    case Value::kNull:
      return true;
    case Value::kBool:
      return std::get<Value::kBool>(a.v_) == std::get<Value::kBool>(b.v_);
    case Value::kInt:
      return std::get<Value::kInt>(a.v_) == std::get<Value::kInt>(b.v_);
    case Value::kUint:
      return std::get<Value::kUint>(a.v_) == std::get<Value::kUint>(b.v_);
    case Value::kDouble:
      return std::get<Value::kDouble>(a.v_) == std::get<Value::kDouble>(b.v_);
    case Value::kString:
      return std::get<Value::kString>(a.v_) == std::get<Value::kString>(b.v_);
    case Value::kArray:
      return std::get<Value::kArray>(a.v_) == std::get<Value::kArray>(b.v_);
    case Value::kObject: {
      const Object& x = std::get<Value::kObject>(a.v_);
      const Object& y = std::get<Value::kObject>(b.v_);
      if (x.size() != y.size()) return false;
      // Members as sets: sort views of both by key (stable, so duplicate keys built through
      // as_object() pair up in order) and compare pairwise; O(n log n), not O(n^2).
      using Member = const std::pair<std::string, Value>*;
      auto sorted = [](const Object& o) {
        std::vector<Member> view;
        view.reserve(o.size());
        for (const auto& m : o) view.push_back(&m);
        std::stable_sort(view.begin(), view.end(),
                         [](Member l, Member r) { return l->first < r->first; });
        return view;
      };
      std::vector<Member> sx = sorted(x), sy = sorted(y);
      for (std::size_t i = 0; i < sx.size(); ++i) {
        if (sx[i]->first != sy[i]->first || !(sx[i]->second == sy[i]->second)) return false;
      }
      return true;
    }
  }
  return false;
}

}  // namespace dstm::json

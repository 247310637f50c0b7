#include "config/config.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

namespace dstm::config {
namespace {

// toml++ reports line 0 for nodes it made up (e.g. [a] implied by [a.b]).
Line line_of(const toml::source_region& r) { return r.begin.line == 0 ? 1 : r.begin.line; }

std::string_view type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

std::string join(std::string_view parent, std::string_view key) {
  return parent.empty() ? std::string(key) : std::string(parent) + "." + std::string(key);
}

bool contains(std::span<const std::string_view> list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

struct ShapeError {
  Line line;
  std::string key;
  std::string what;
};

std::string known_children(const Schema& schema, std::string_view parent) {
  std::string out;
  auto add = [&](std::string_view path) {
    if (path.size() <= parent.size() || path.substr(0, parent.size()) != parent) return;
    if (!parent.empty() && path[parent.size()] != '.') return;
    std::string_view rest = path.substr(parent.empty() ? 0 : parent.size() + 1);
    if (rest.find('.') != std::string_view::npos) return;
    out += out.empty() ? "" : ", ";
    out += rest;
  };
  for (auto t : schema.tables) add(t);
  for (auto k : schema.value_keys) add(k);
  return out;
}

void check_shape(const Schema& schema, const toml::table& table, std::string_view path,
                 std::vector<ShapeError>& out) {
  for (auto&& [k, node] : table) {
    std::string full = join(path, k.str());
    Line line = line_of(k.source());
    if (contains(schema.tables, full)) {
      if (const auto* sub = node.as_table()) {
        check_shape(schema, *sub, full, out);
      } else {
        out.push_back({line, full, "expected a table, got " + std::string(type_name(node.type()))});
      }
    } else if (!contains(schema.value_keys, full)) {
      std::string where = path.empty() ? "at the top level" : "in [" + std::string(path) + "]";
      out.push_back({line, full,
                     std::string(node.is_table() ? "unknown table" : "unknown key") + " " + where +
                         " (known: " + known_children(schema, path) + ")"});
    }
  }
}

}  // namespace

void Errors::fail(Line line, std::string_view key, std::string_view what) {
  if (first_) return;
  std::ostringstream os;
  os << source_ << ':' << line << ": " << key << ": " << what;
  first_ = os.str();
}

Expected<toml::table, std::string> parse(std::string_view text, std::string_view source,
                                         const Schema& schema) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    // toml++ signals syntax errors only by exception; it stops at this boundary.
    std::ostringstream os;
    os << source << ':' << e.source().begin.line << ':' << e.source().begin.column
       << ": TOML syntax error: " << e.description();
    return unexpected(os.str());
  }
  std::vector<ShapeError> shape;
  check_shape(schema, root, "", shape);
  if (!shape.empty()) {
    const auto& e = *std::min_element(shape.begin(), shape.end(),
                                      [](const auto& a, const auto& b) { return a.line < b.line; });
    Errors errors(source);
    errors.fail(e.line, e.key, e.what);
    return unexpected(errors.first());
  }
  return root;
}

Expected<std::string, std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return unexpected(path + ": cannot read: " + std::strerror(errno));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return unexpected(path + ": cannot read: " + std::strerror(errno));
  return text;
}

Section::Section(const toml::table& root, std::string_view path, Errors& errors)
    : path_(path), errors_(errors) {
  const toml::table* t = &root;
  std::string_view rest = path;
  while (t != nullptr && !rest.empty()) {
    auto dot = rest.find('.');
    const toml::node* n = t->get(rest.substr(0, dot));
    t = n != nullptr ? n->as_table() : nullptr;
    rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
  }
  table_ = t;
}

Section::Section(const toml::table* table, std::string display, Errors& errors)
    : path_(std::move(display)), errors_(errors), table_(table) {}

std::vector<const toml::table*> table_array(const toml::table& root, std::string_view name,
                                            std::span<const std::string_view> keys, Errors& errors) {
  std::vector<const toml::table*> out;
  const toml::node* n = root.get(name);
  if (n == nullptr) return out;
  const auto* array = n->as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    errors.fail(line_of(n->source()), name,
                "expected [[" + std::string(name) + "]] tables, got " + std::string(type_name(n->type())));
    return out;
  }
  for (std::size_t i = 0; i < array->size(); ++i) {
    const auto* t = array->get(i)->as_table();
    for (auto&& [k, v] : *t) {
      if (!contains(keys, k.str())) {
        std::string known;
        for (auto key : keys) known += (known.empty() ? "" : ", ") + std::string(key);
        errors.fail(line_of(k.source()), std::string(name) + "[" + std::to_string(i) + "]." + std::string(k.str()),
                    "unknown key in [[" + std::string(name) + "]] (known: " + known + ")");
      }
    }
    out.push_back(t);
  }
  return out;
}

const toml::node* Section::get(std::string_view key) const {
  return table_ != nullptr ? table_->get(key) : nullptr;
}
std::string Section::name(std::string_view key) const { return join(path_, key); }
Line Section::header_line() const { return table_ != nullptr ? line_of(table_->source()) : 1; }
void Section::fail(const toml::node& n, std::string_view key, std::string_view what) {
  errors_.fail(line_of(n.source()), key, what);
}
void Section::fail_key(std::string_view key, std::string_view what) {
  if (const toml::node* n = get(key)) {
    fail(*n, name(key), what);
  } else {
    errors_.fail(header_line(), name(key), what);
  }
}
void Section::missing(std::string_view key) {
  errors_.fail(header_line(), name(key), "required key is missing");
}

std::optional<std::int64_t> Section::integer(std::string_view key, std::int64_t lo,
                                             std::int64_t hi) {
  const toml::node* n = get(key);
  if (n == nullptr) return std::nullopt;
  const auto* v = n->as_integer();
  if (v == nullptr) {
    fail(*n, name(key), "expected an integer, got " + std::string(type_name(n->type())));
    return std::nullopt;
  }
  std::int64_t x = v->get();
  if (x < lo || x > hi) {
    fail(*n, name(key),
         std::to_string(x) + " is out of range (" + std::to_string(lo) + ".." + std::to_string(hi) +
             ")");
    return std::nullopt;
  }
  return x;
}

void Section::boolean_into(std::string_view key, bool& out) {
  const toml::node* n = get(key);
  if (n == nullptr) return;
  if (const auto* v = n->as_boolean()) {
    out = v->get();
  } else {
    fail(*n, name(key), "expected true or false, got " + std::string(type_name(n->type())));
  }
}

std::optional<std::string_view> Section::string_of(const toml::node& n, std::string_view display) {
  if (const auto* v = n.as_string()) return std::string_view(v->get());
  fail(n, display, "expected a string, got " + std::string(type_name(n.type())));
  return std::nullopt;
}

std::optional<std::string> Section::string(std::string_view key, bool required) {
  const toml::node* n = get(key);
  if (n == nullptr) {
    if (required) missing(key);
    return std::nullopt;
  }
  auto s = string_of(*n, name(key));
  if (!s) return std::nullopt;
  return std::string(*s);
}

void Section::string_into(std::string_view key, std::string& out, bool required) {
  if (auto s = string(key, required)) out = std::move(*s);
}

std::optional<std::vector<std::string>> Section::strings(std::string_view key, bool required) {
  const toml::node* n = get(key);
  if (n == nullptr) {
    if (required) missing(key);
    return std::nullopt;
  }
  const auto* a = n->as_array();
  if (a == nullptr) {
    fail(*n, name(key), "expected an array of strings, got " + std::string(type_name(n->type())));
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < a->size(); ++i) {
    auto s = string_of(*a->get(i), name(key) + "[" + std::to_string(i) + "]");
    if (!s) return std::nullopt;
    out.emplace_back(*s);
  }
  return out;
}

const toml::array* Section::nonempty_array(std::string_view key, std::string_view example) {
  const toml::node* n = get(key);
  if (n == nullptr) {
    missing(key);
    return nullptr;
  }
  const auto* a = n->as_array();
  if (a == nullptr) {
    fail(*n, name(key),
         "expected an array, got " + std::string(type_name(n->type())) + " (e.g. " +
             std::string(key) + " = " + std::string(example) + ")");
    return nullptr;
  }
  if (a->empty()) {
    fail(*n, name(key), "needs at least one element (e.g. " + std::string(example) + ")");
    return nullptr;
  }
  return a;
}

void Section::mac_into(std::string_view key, std::optional<net::MacAddress>& out) {
  const toml::node* n = get(key);
  if (n == nullptr) return;
  auto text = string_of(*n, name(key));
  if (!text) return;
  auto mac = net::MacAddress::parse(*text);
  if (!mac) {
    fail(*n, name(key), "'" + std::string(*text) + "' is not a MAC address (xx:xx:xx:xx:xx:xx)");
  } else if (mac->is_zero() || mac->is_multicast()) {
    fail(*n, name(key), "'" + std::string(*text) + "' is not a unicast MAC address");
  } else {
    out = *mac;
  }
}

std::optional<net::Ipv4Address> Section::ipv4(std::string_view key, bool required) {
  auto text = string(key, required);
  if (!text) return std::nullopt;
  auto a = net::Ipv4Address::parse(*text);
  if (!a) fail(*get(key), name(key), "'" + *text + "' is not an IPv4 address");
  return a;
}

std::optional<net::Ipv6Address> Section::ipv6(std::string_view key, bool required) {
  auto text = string(key, required);
  if (!text) return std::nullopt;
  auto a = net::Ipv6Address::parse(*text);
  if (!a) fail(*get(key), name(key), "'" + *text + "' is not an IPv6 address");
  return a;
}

namespace {
template <class Prefix>
std::optional<std::vector<Prefix>> prefixes(Section& s, std::string_view key, bool required,
                                            std::string_view form) {
  const toml::node* n = s.get(key);
  auto texts = s.strings(key, required);
  if (!texts) return std::nullopt;
  std::vector<Prefix> out;
  for (std::size_t i = 0; i < texts->size(); ++i) {
    const std::string& text = (*texts)[i];
    const toml::node& element = *n->as_array()->get(i);
    const std::string display = s.name(key) + "[" + std::to_string(i) + "]";
    auto p = Prefix::parse(text);
    if (!p) {
      // The strict parse refuses host bits; the lenient one tells a typo from garbage.
      if (auto lenient = Prefix::parse_lenient(text)) {
        s.fail(element, display,
               "'" + text + "' has host bits set (did you mean " + lenient->to_string() + "?)");
      } else {
        s.fail(element, display, "'" + text + "' is not a prefix (" + std::string(form) + ")");
      }
      return std::nullopt;
    }
    out.push_back(*p);
  }
  return out;
}
}  // namespace

std::optional<std::vector<net::Ipv4Prefix>> Section::ipv4_prefixes(std::string_view key,
                                                                   bool required) {
  return prefixes<net::Ipv4Prefix>(*this, key, required, "A.B.C.D/LEN");
}
std::optional<std::vector<net::Ipv6Prefix>> Section::ipv6_prefixes(std::string_view key,
                                                                   bool required) {
  return prefixes<net::Ipv6Prefix>(*this, key, required, "X:X::X/LEN");
}

}  // namespace dstm::config

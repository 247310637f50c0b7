// Compact and pretty serialization (RFC 8259 §7 escaping; doubles that read back exactly).
#include <charconv>
#include <cmath>

#include "json/json.h"
#include "json/utf8.h"

namespace dstm::json {

namespace {

void write_string(std::string& out, const std::string& s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      std::size_t n = utf8_sequence_length(std::string_view(s).substr(i));
      if (n == 0) {
        out += "\xEF\xBF\xBD";  // U+FFFD: keep the output valid UTF-8, hence valid JSON
        ++i;
      } else {
        out.append(s, i, n);
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

template <class T>
void write_integer(std::string& out, T v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void write_double(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";  // JSON has no NaN or infinity (§6)
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);  // shortest form that round-trips
  std::string_view text(buf, static_cast<std::size_t>(r.ptr - buf));
  out += text;
  // "1" would read back as an integer: keep the double a double.
  if (text.find_first_of(".eE") == std::string_view::npos) out += ".0";
}

class Writer {
 public:
  explicit Writer(int indent) : indent_(indent < 0 ? 0 : indent) {}

  void value(const Value& v, int depth) {
    if (v.is_null()) {
      out += "null";
    } else if (v.is_bool()) {
      out += v.as_bool() ? "true" : "false";
    } else if (v.is_int64()) {
      write_integer(out, v.as_int());
    } else if (v.is_integer()) {
      write_integer(out, v.as_uint());
    } else if (v.is_number()) {
      write_double(out, v.as_double());
    } else if (v.is_string()) {
      write_string(out, v.as_string());
    } else if (v.is_array()) {
      const Array& items = v.as_array();
      out += '[';
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += ',';
        newline(depth + 1);
        value(items[i], depth + 1);
      }
      if (!items.empty()) newline(depth);
      out += ']';
    } else {
      const Object& members = v.as_object();
      out += '{';
      for (std::size_t i = 0; i < members.size(); ++i) {
        if (i) out += ',';
        newline(depth + 1);
        write_string(out, members[i].first);
        out += indent_ ? ": " : ":";
        value(members[i].second, depth + 1);
      }
      if (!members.empty()) newline(depth);
      out += '}';
    }
  }

  std::string out;

 private:
  void newline(int depth) {
    if (!indent_) return;
    out += '\n';
    out.append(static_cast<std::size_t>(depth) * static_cast<std::size_t>(indent_), ' ');
  }
  int indent_;
};

}  // namespace

std::string serialize(const Value& v) {
  Writer w(0);
  w.value(v, 0);
  return std::move(w.out);
}

std::string serialize_pretty(const Value& v, int indent) {
  Writer w(indent);
  w.value(v, 0);
  return std::move(w.out);
}

}  // namespace dstm::json

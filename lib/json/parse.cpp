// The strict RFC 8259 parser: recursive descent, bounded by Limits (depth bounds the recursion).
#include <charconv>
#include <cstdio>
#include <limits>
#include <string>
#include <unordered_set>

#include "json/json.h"
#include "json/utf8.h"

namespace dstm::json {

namespace {

class Parser {
 public:
  Parser(std::string_view text, const Limits& limits) : text_(text), limits_(limits) {}

  Expected<Value, std::string> run() {
    if (text_.size() > limits_.max_bytes) {
      return fail_at(0, "document is " + std::to_string(text_.size()) +
                            " bytes, over the limit of " + std::to_string(limits_.max_bytes));
    }
    skip_whitespace();
    Value v;
    if (!parse_value(v, 0)) return unexpected(std::move(error_));
    skip_whitespace();
    if (pos_ != text_.size())
      return fail_at(pos_, "unexpected " + describe(pos_) + " after the value");
    return v;
  }

 private:
  // §2: whitespace is exactly space, tab, LF and CR.
  void skip_whitespace() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  std::string describe(std::size_t at) const {
    if (at >= text_.size()) return "end of input";
    auto c = static_cast<unsigned char>(text_[at]);
    if (c >= 0x21 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "'";
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02X", c);
    return std::string("byte ") + buf;
  }

  Unexpected<std::string> fail_at(std::size_t at, std::string what) {
    return unexpected("offset " + std::to_string(at) + ": " + std::move(what));
  }
  bool error(std::size_t at, std::string what) {
    error_ = "offset " + std::to_string(at) + ": " + std::move(what);
    return false;
  }

  bool count_element(std::size_t at) {
    if (++elements_ > limits_.max_elements) {
      return error(at, "more than " + std::to_string(limits_.max_elements) + " values");
    }
    return true;
  }

  bool parse_value(Value& out, std::size_t depth) {
    if (!count_element(pos_)) return false;
    if (pos_ >= text_.size()) return error(pos_, "expected a value, found end of input");
    switch (text_[pos_]) {
      case '{':
        return parse_object(out, depth + 1);
      case '[':
        return parse_array(out, depth + 1);
      case '"': {
        std::string s;
        if (!parse_string(s)) return false;
        out = Value(std::move(s));
        return true;
      }
      case 't':
        return parse_literal("true", Value(true), out);
      case 'f':
        return parse_literal("false", Value(false), out);
      case 'n':
        return parse_literal("null", Value(), out);
      default:
        if (text_[pos_] == '-' || (text_[pos_] >= '0' && text_[pos_] <= '9')) {
          return parse_number(out);
        }
        return error(pos_, "expected a value, found " + describe(pos_));
    }
  }

  bool parse_literal(std::string_view word, Value v, Value& out) {
    if (text_.substr(pos_, word.size()) != word) {
      return error(pos_, "invalid literal (expected '" + std::string(word) + "')");
    }
    pos_ += word.size();
    out = std::move(v);
    return true;
  }

  bool check_depth(std::size_t depth) {
    if (depth > limits_.max_depth) {
      return error(pos_, "nesting deeper than " + std::to_string(limits_.max_depth));
    }
    return true;
  }

  bool parse_array(Value& out, std::size_t depth) {
    if (!check_depth(depth)) return false;
    ++pos_;  // '['
    Array items;
    skip_whitespace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      out = Value(std::move(items));
      return true;
    }
    for (;;) {
      skip_whitespace();
      Value item;
      if (!parse_value(item, depth)) return false;
      items.push_back(std::move(item));
      skip_whitespace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        out = Value(std::move(items));
        return true;
      }
      return error(pos_, "expected ',' or ']' in array, found " + describe(pos_));
    }
  }

  bool parse_object(Value& out, std::size_t depth) {
    if (!check_depth(depth)) return false;
    ++pos_;  // '{'
    Object members;
    std::unordered_set<std::string> keys;
    skip_whitespace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      out = Value(std::move(members));
      return true;
    }
    for (;;) {
      skip_whitespace();
      if (pos_ >= text_.size() || text_[pos_] != '"') {
        return error(pos_, "expected a string key in object, found " + describe(pos_));
      }
      std::size_t key_at = pos_;
      std::string key;
      if (!parse_string(key)) return false;
      if (!keys.insert(key).second) return error(key_at, "duplicate key \"" + key + "\"");
      skip_whitespace();
      if (pos_ >= text_.size() || text_[pos_] != ':') {
        return error(pos_, "expected ':' after object key, found " + describe(pos_));
      }
      ++pos_;
      skip_whitespace();
      Value v;
      if (!parse_value(v, depth)) return false;
      members.emplace_back(std::move(key), std::move(v));
      skip_whitespace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        out = Value(std::move(members));
        return true;
      }
      return error(pos_, "expected ',' or '}' in object, found " + describe(pos_));
    }
  }

  bool parse_hex4(std::size_t at, std::uint32_t& out) {
    if (at + 4 > text_.size()) return error(at, "\\u needs four hex digits");
    out = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      char c = text_[at + i];
      std::uint32_t d;
      if (c >= '0' && c <= '9') {
        d = static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        d = static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        d = static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        return error(at + i, "\\u needs four hex digits, found " + describe(at + i));
      }
      out = out << 4 | d;
    }
    return true;
  }

  // §7. pos_ is at the opening quote; leaves pos_ after the closing one.
  bool parse_string(std::string& out) {
    std::size_t start = pos_++;
    for (;;) {
      // Copy the run of plain bytes at once.
      std::size_t run = pos_;
      while (run < text_.size()) {
        auto c = static_cast<unsigned char>(text_[run]);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        ++run;
      }
      out.append(text_.data() + pos_, run - pos_);
      pos_ = run;
      if (pos_ >= text_.size()) return error(start, "unterminated string");
      auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20)
        return error(pos_, "control character " + describe(pos_) + " in string (escape it)");
      if (c >= 0x80) {
        // §8.1: JSON text is UTF-8; take one whole, valid sequence.
        std::size_t n = utf8_sequence_length(text_.substr(pos_));
        if (n == 0) return error(pos_, "invalid UTF-8 in string");
        out.append(text_.data() + pos_, n);
        pos_ += n;
        continue;
      }
      // A backslash escape.
      std::size_t esc = pos_;
      if (pos_ + 1 >= text_.size()) return error(start, "unterminated string");
      char e = text_[pos_ + 1];
      pos_ += 2;
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          std::uint32_t cp;
          if (!parse_hex4(pos_, cp)) return false;
          pos_ += 4;
          if (cp >= 0xDC00 && cp <= 0xDFFF) return error(esc, "lone low surrogate \\u escape");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            // A UTF-16 surrogate pair: the high half must be followed by a \u low half.
            if (text_.substr(pos_, 2) != "\\u") {
              return error(esc, "high surrogate \\u escape without its low half");
            }
            std::uint32_t low;
            if (!parse_hex4(pos_ + 2, low)) return false;
            if (low < 0xDC00 || low > 0xDFFF) {
              return error(esc, "high surrogate \\u escape without its low half");
            }
            pos_ += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default:
          return error(esc, "invalid escape " + describe(esc + 1) + " in string");
      }
    }
  }

  // §6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
  bool parse_number(Value& out) {
    std::size_t start = pos_;
    auto digit = [&](std::size_t at) {
      return at < text_.size() && text_[at] >= '0' && text_[at] <= '9';
    };
    std::size_t p = pos_;
    bool negative = text_[p] == '-';
    if (negative) ++p;
    if (!digit(p)) return error(p, "expected a digit, found " + describe(p));
    if (text_[p] == '0') {
      ++p;
      if (digit(p)) return error(start, "leading zero in number");
    } else {
      while (digit(p)) ++p;
    }
    bool integral = true;
    if (p < text_.size() && text_[p] == '.') {
      integral = false;
      ++p;
      if (!digit(p)) return error(p, "expected a digit after '.', found " + describe(p));
      while (digit(p)) ++p;
    }
    if (p < text_.size() && (text_[p] == 'e' || text_[p] == 'E')) {
      integral = false;
      ++p;
      if (p < text_.size() && (text_[p] == '+' || text_[p] == '-')) ++p;
      if (!digit(p)) return error(p, "expected a digit in exponent, found " + describe(p));
      while (digit(p)) ++p;
    }
    pos_ = p;
    const char* first = text_.data() + start;
    const char* last = text_.data() + p;
    if (integral) {
      if (negative) {
        std::int64_t i;
        auto r = std::from_chars(first, last, i);
        if (r.ec == std::errc() && r.ptr == last) {
          out = Value(i);
          return true;
        }
      } else {
        std::uint64_t u;
        auto r = std::from_chars(first, last, u);
        if (r.ec == std::errc() && r.ptr == last) {
          out = Value(u);
          return true;
        }
      }
      // Beyond 64 bits: a double, like any other number.
    }
    double d;
    auto r = std::from_chars(first, last, d);
    if (r.ec == std::errc::result_out_of_range) {
      if (overflows(std::string_view(first, static_cast<std::size_t>(last - first)))) {
        return error(start, "number out of range");
      }
      d = negative ? -0.0 : 0.0;  // underflow: closer to zero than any double
    } else if (r.ec != std::errc() || r.ptr != last) {
      return error(start, "invalid number");
    }
    out = Value(d);
    return true;
  }

  // Tells an out-of-range number's overflow from its underflow by the decimal exponent of its
  // first significant digit: positive means huge (only out-of-range numbers get here).
  static bool overflows(std::string_view num) {
    long long int_digits = 0, index = 0, first_sig = -1, exp = 0;
    bool in_fraction = false;
    std::size_t i = num[0] == '-' ? 1 : 0;
    for (; i < num.size() && num[i] != 'e' && num[i] != 'E'; ++i) {
      if (num[i] == '.') {
        in_fraction = true;
        continue;
      }
      if (!in_fraction) ++int_digits;
      if (num[i] != '0' && first_sig < 0) first_sig = index;
      ++index;
    }
    if (first_sig < 0) return false;  // zero never overflows
    if (i < num.size()) {
      bool negative = num[++i] == '-';
      if (num[i] == '-' || num[i] == '+') ++i;
      for (; i < num.size(); ++i) {
        if (exp < 1000000000) exp = exp * 10 + (num[i] - '0');
      }
      if (negative) exp = -exp;
    }
    return int_digits - 1 - first_sig + exp > 0;
  }

  std::string_view text_;
  const Limits& limits_;
  std::size_t pos_ = 0;
  std::size_t elements_ = 0;
  std::string error_;
};

}  // namespace

Expected<Value, std::string> parse(std::string_view text, const Limits& limits) {
  return Parser(text, limits).run();
}

}  // namespace dstm::json

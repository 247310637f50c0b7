// lib/json: RFC 8259's examples, escapes, numbers, every parse error, limits, round trips.
#include "json/json.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <string>

using namespace dstm::json;

namespace {

Value parse_ok(std::string_view text, const Limits& limits = {}) {
  auto v = parse(text, limits);
  INFO("text: " << text);
  if (!v) FAIL("parse error: " << v.error());
  return *v;
}

std::string parse_error(std::string_view text, const Limits& limits = {}) {
  auto v = parse(text, limits);
  INFO("text: " << text);
  REQUIRE_FALSE(v.has_value());
  return v.error();
}

}  // namespace

TEST_CASE("RFC 8259 §13 examples parse into the values they show", "[json]") {
  // §13, the first example, verbatim.
  const char* image = R"({
      "Image": {
          "Width":  800,
          "Height": 600,
          "Title":  "View from 15th Floor",
          "Thumbnail": {
              "Url":    "http://www.example.com/image/481989943",
              "Height": 125,
              "Width":  100
          },
          "Animated" : false,
          "IDs": [116, 943, 234, 38793]
        }
    })";
  Value v = parse_ok(image);
  const Value* img = v.find("Image");
  REQUIRE(img);
  CHECK(img->find("Width")->as_int() == 800);
  CHECK(img->find("Title")->as_string() == "View from 15th Floor");
  CHECK(img->find("Thumbnail")->find("Url")->as_string() ==
        "http://www.example.com/image/481989943");
  CHECK(img->find("Animated")->is_bool());
  CHECK_FALSE(img->find("Animated")->as_bool());
  REQUIRE(img->find("IDs")->as_array().size() == 4);
  CHECK(img->find("IDs")->as_array()[3].as_int() == 38793);
  // Insertion order is kept.
  CHECK(img->as_object()[0].first == "Width");
  CHECK(img->as_object()[5].first == "IDs");

  // The second example: an array of two objects with doubles.
  Value places = parse_ok(R"([
        {
           "precision": "zip",
           "Latitude":  37.7668,
           "Longitude": -122.3959,
           "Address":   "",
           "City":      "SAN FRANCISCO",
           "State":     "CA",
           "Zip":       "94107",
           "Country":   "US"
        },
        {
           "precision": "zip",
           "Latitude":  37.371991,
           "Longitude": -122.026020,
           "Address":   "",
           "City":      "SUNNYVALE",
           "State":     "CA",
           "Zip":       "94085",
           "Country":   "US"
        }
      ])");
  REQUIRE(places.as_array().size() == 2);
  CHECK(places.as_array()[1].find("Longitude")->as_double() == -122.026020);
  CHECK_FALSE(places.as_array()[1].find("Longitude")->is_integer());
  CHECK(places.as_array()[0].find("Address")->as_string().empty());

  // §13's small texts: scalars are JSON texts too (§2).
  CHECK(parse_ok(R"("Hello world!")").as_string() == "Hello world!");
  CHECK(parse_ok("42").as_int() == 42);
  CHECK(parse_ok("true").as_bool());
  CHECK(parse_ok(" null ").is_null());
}

TEST_CASE("string escapes: every short form, \\u, surrogate pairs, raw UTF-8", "[json]") {
  CHECK(parse_ok(R"("\"\\\/\b\f\n\r\t")").as_string() == "\"\\/\b\f\n\r\t");
  CHECK(parse_ok(R"("\u0041\u00e9\u20AC")").as_string() == "A\xC3\xA9\xE2\x82\xAC");
  CHECK(parse_ok(R"("\u0000")").as_string() == std::string(1, '\0'));
  // §7: U+1D11E (G clef) as a surrogate pair.
  CHECK(parse_ok(R"("\uD834\uDD1E")").as_string() == "\xF0\x9D\x84\x9E");
  CHECK(parse_ok(R"("\udbff\udfff")").as_string() == "\xF4\x8F\xBF\xBF");  // U+10FFFF
  CHECK(parse_ok("\"caf\xC3\xA9 \xF0\x9F\x98\x80\"").as_string() == "caf\xC3\xA9 \xF0\x9F\x98\x80");

  // Serializing escapes '"', '\\' and control characters, and nothing else.
  CHECK(serialize(Value("a\"b\\c/d")) == R"("a\"b\\c/d")");
  CHECK(serialize(Value("\b\f\n\r\t")) == R"("\b\f\n\r\t")");
  CHECK(serialize(Value(std::string("\x01\x1f\x00", 3))) == R"("\u0001\u001f\u0000")");
  CHECK(serialize(Value("\xC3\xA9\x7F")) == "\"\xC3\xA9\x7F\"");
  // Bytes that are not UTF-8 become U+FFFD, so the output is always valid JSON.
  CHECK(serialize(Value("a\xFF"
                        "b\xC3")) ==
        "\"a\xEF\xBF\xBD"
        "b\xEF\xBF\xBD\"");
  CHECK(parse(serialize(Value("\xED\xA0\x80"))).has_value());
}

TEST_CASE("numbers: integers exact over the whole int64 and uint64 range", "[json]") {
  Value max_u = parse_ok("18446744073709551615");
  CHECK(max_u.is_integer());
  CHECK_FALSE(max_u.is_int64());
  CHECK(max_u.is_uint64());
  CHECK(max_u.as_uint() == std::numeric_limits<std::uint64_t>::max());
  CHECK(max_u.as_int() == std::numeric_limits<std::int64_t>::max());  // saturates
  CHECK(serialize(max_u) == "18446744073709551615");

  Value min_i = parse_ok("-9223372036854775808");
  CHECK(min_i.is_int64());
  CHECK(min_i.as_int() == std::numeric_limits<std::int64_t>::min());
  CHECK(min_i.as_uint() == 0);
  CHECK(serialize(min_i) == "-9223372036854775808");

  CHECK(parse_ok("9223372036854775807").is_int64());
  CHECK(parse_ok("9223372036854775808").is_uint64());
  CHECK_FALSE(parse_ok("9223372036854775808").is_int64());
  // Beyond 64 bits: a double.
  Value big = parse_ok("18446744073709551616");
  CHECK_FALSE(big.is_integer());
  CHECK(big.as_double() == 18446744073709551616.0);
  CHECK_FALSE(parse_ok("-9223372036854775809").is_integer());

  // One representation per integer, whatever constructed it.
  CHECK(Value(std::uint64_t{5}) == Value(5));
  CHECK(Value(5u) == Value(std::int64_t{5}));
  CHECK(Value(std::size_t{7}).is_int64());
  CHECK(parse_ok("-0").is_integer());
  CHECK(parse_ok("-0").as_int() == 0);
  // Integers never equal doubles, and the serializer keeps doubles doubles.
  CHECK_FALSE(Value(1) == Value(1.0));
  CHECK(serialize(Value(1.0)) == "1.0");
  CHECK(parse_ok(serialize(Value(1.0))) == Value(1.0));
  CHECK(serialize(Value(-0.0)) == "-0.0");
  CHECK(serialize(Value(0.1)) == "0.1");
  CHECK(serialize(Value(1e300)) == "1e+300");
  CHECK(parse_ok("1e300").as_double() == 1e300);
  CHECK(parse_ok("1E+2").as_double() == 100.0);
  CHECK(parse_ok("-1.5e-3").as_double() == -1.5e-3);
  // Underflow is zero (closer to it than any double); overflow is an error (below).
  CHECK(parse_ok("1e-400").as_double() == 0.0);
  CHECK(parse_ok("-0.0000000000000000000000000000000000000000000000000000000000000000000000000"
                 "0000000000000000000000000000000000000000000000000000000000000000000000000000"
                 "0000000000000000000000000000000000000000000000000000000000000000000000000000"
                 "0000000000000000000000000000000000000000000000000000000000000000000000000000"
                 "0000000000000000000000000000000000001")
            .as_double() == 0.0);
  CHECK(parse_ok("0.0000001e-400").as_double() == 0.0);
  CHECK(serialize(Value(std::numeric_limits<double>::infinity())) == "null");
  CHECK(serialize(Value(std::numeric_limits<double>::quiet_NaN())) == "null");
  // Doubles convert to integers with saturation.
  CHECK(Value(2.9).as_int() == 2);
  CHECK(Value(-2.9).as_uint() == 0);
  CHECK(Value(1e30).as_uint() == std::numeric_limits<std::uint64_t>::max());
  CHECK(Value(-1e30).as_int() == std::numeric_limits<std::int64_t>::min());
}

TEST_CASE("every parse error names its offset and what went wrong", "[json]") {
  struct Case {
    const char* text;
    const char* error;
  };
  auto c = GENERATE(values<Case>({
      {"", "offset 0: expected a value, found end of input"},
      {"   ", "offset 3: expected a value, found end of input"},
      {"x", "offset 0: expected a value, found 'x'"},
      {"tru", "offset 0: invalid literal (expected 'true')"},
      {"nul", "offset 0: invalid literal (expected 'null')"},
      {"falsy", "offset 0: invalid literal (expected 'false')"},
      {"True", "offset 0: expected a value, found 'T'"},
      {"1 2", "offset 2: unexpected '2' after the value"},
      {"{} x", "offset 3: unexpected 'x' after the value"},
      {"[1,]", "offset 3: expected a value, found ']'"},
      {"[1 2]", "offset 3: expected ',' or ']' in array, found '2'"},
      {"[1", "offset 2: expected ',' or ']' in array, found end of input"},
      {"{\"a\":1,}", "offset 7: expected a string key in object, found '}'"},
      {"{a:1}", "offset 1: expected a string key in object, found 'a'"},
      {"{'a':1}", "offset 1: expected a string key in object, found '''"},
      {"{\"a\" 1}", "offset 5: expected ':' after object key, found '1'"},
      {"{\"a\":1 \"b\":2}", "offset 7: expected ',' or '}' in object, found '\"'"},
      {"{\"a\":1,\"a\":2}", "offset 7: duplicate key \"a\""},
      {"\"abc", "offset 0: unterminated string"},
      {"\"abc\\", "offset 0: unterminated string"},
      {"\"a\nb\"", "offset 2: control character byte 0x0A in string (escape it)"},
      {"\"a\tb\"", "offset 2: control character byte 0x09 in string (escape it)"},
      {"\"\\x\"", "offset 1: invalid escape 'x' in string"},
      {"\"\\u12x4\"", "offset 5: \\u needs four hex digits, found 'x'"},
      {"\"\\u12", "offset 3: \\u needs four hex digits"},
      {"\"\\uDC00\"", "offset 1: lone low surrogate \\u escape"},
      {"\"\\uD800\"", "offset 1: high surrogate \\u escape without its low half"},
      {"\"\\uD800\\u0041\"", "offset 1: high surrogate \\u escape without its low half"},
      {"\"\\uD800\\uZZZZ\"", "offset 9: \\u needs four hex digits, found 'Z'"},
      {"\"\xFF\"", "offset 1: invalid UTF-8 in string"},
      {"\"\xC0\xAF\"", "offset 1: invalid UTF-8 in string"},              // overlong '/'
      {"\"\xED\xA0\x80\"", "offset 1: invalid UTF-8 in string"},          // encoded surrogate
      {"\"\xF4\x90\x80\x80\"", "offset 1: invalid UTF-8 in string"},      // above U+10FFFF
      {"\"\xE2\x82\"", "offset 1: invalid UTF-8 in string"},              // truncated
      {"\xEF\xBB\xBF{}", "offset 0: expected a value, found byte 0xEF"},  // BOM
      {"01", "offset 0: leading zero in number"},
      {"-01", "offset 0: leading zero in number"},
      {"+1", "offset 0: expected a value, found '+'"},
      {"-", "offset 1: expected a digit, found end of input"},
      {"-a", "offset 1: expected a digit, found 'a'"},
      {".5", "offset 0: expected a value, found '.'"},
      {"1.", "offset 2: expected a digit after '.', found end of input"},
      {"1.e3", "offset 2: expected a digit after '.', found 'e'"},
      {"1e", "offset 2: expected a digit in exponent, found end of input"},
      {"1e+", "offset 3: expected a digit in exponent, found end of input"},
      {"1e400", "offset 0: number out of range"},
      {"-123456789e305", "offset 0: number out of range"},
      {"NaN", "offset 0: expected a value, found 'N'"},
      {"Infinity", "offset 0: expected a value, found 'I'"},
      {"[1]\x00", "offset 3: unexpected byte 0x00 after the value"},
      {"/* c */ 1", "offset 0: expected a value, found '/'"},
      {"\f1", "offset 0: expected a value, found byte 0x0C"},  // not JSON whitespace
  }));
  INFO("text: " << c.text);
  std::string_view text(c.text);
  if (text == "[1]") text = std::string_view("[1]\x00", 4);
  CHECK(parse_error(text) == c.error);
}

TEST_CASE("limits: size, depth and element count", "[json]") {
  Limits small;
  small.max_bytes = 10;
  CHECK(parse_ok("[1,2,3,45]", small).as_array().size() == 4);
  CHECK(parse_error("[1,2,3,456]", small) ==
        "offset 0: document is 11 bytes, over the limit of 10");

  Limits shallow;
  shallow.max_depth = 3;
  CHECK(parse_ok("[[[1]]]", shallow).is_array());
  CHECK(parse_ok(R"({"a":{"b":[1]}})", shallow).is_object());
  CHECK(parse_error("[[[[1]]]]", shallow) == "offset 3: nesting deeper than 3");
  CHECK(parse_error(R"({"a":{"b":[{}]}})", shallow) == "offset 11: nesting deeper than 3");
  // The default depth stops a stack-exhausting document long before the stack.
  std::string deep(100000, '[');
  CHECK(parse_error(deep) == "offset 32: nesting deeper than 32");

  Limits few;
  few.max_elements = 4;  // the array itself and three items
  CHECK(parse_ok("[1,2,3]", few).as_array().size() == 3);
  CHECK(parse_error("[1,2,3,4]", few) == "offset 7: more than 4 values");
  CHECK(parse_error(R"({"a":[1,2],"b":3})", few) == "offset 15: more than 4 values");
}

TEST_CASE("building values: operator[], push_back, find, accessors of the wrong type", "[json]") {
  Value v;
  CHECK(v.is_null());
  v["cmd"] = "status";
  v["args"]["limit"] = 100;
  v["args"]["limit"] = 50;  // insert-or-get: no duplicate
  v["list"].push_back(1);
  v["list"].push_back("two");
  v["list"].push_back(nullptr);
  CHECK(serialize(v) == R"({"cmd":"status","args":{"limit":50},"list":[1,"two",null]})");
  REQUIRE(v.find("args"));
  CHECK(v.find("args")->find("limit")->as_int() == 50);
  CHECK(v.find("nope") == nullptr);
  CHECK(v.find("cmd")->find("x") == nullptr);  // not an object

  // Wrong-type accessors answer empty values, never crash.
  Value s("text");
  CHECK(s.as_int() == 0);
  CHECK_FALSE(s.as_bool());
  CHECK(s.as_array().empty());
  CHECK(s.as_object().empty());
  CHECK(Value(3).as_string().empty());
  CHECK(Value(true).as_double() == 0.0);
  CHECK_FALSE(Value("true").as_bool());
  // Mutable access to another type makes it that type.
  Value n(7);
  n.push_back(1);
  CHECK(n == Value(Array{1}));
  n["k"] = true;
  CHECK(n == Value(Object{{"k", true}}));
  CHECK(Value(std::string_view("sv")) == Value(std::string("sv")));
}

TEST_CASE("equality: deep, objects as sets of members", "[json]") {
  CHECK(parse_ok(R"({"a":1,"b":[true,null]})") == parse_ok(R"({"b":[true,null],"a":1})"));
  CHECK_FALSE(parse_ok(R"({"a":1,"b":2})") == parse_ok(R"({"a":1,"c":2})"));
  CHECK_FALSE(parse_ok(R"({"a":1})") == parse_ok(R"({"a":1,"b":2})"));
  CHECK_FALSE(parse_ok("[1,2]") == parse_ok("[2,1]"));
  CHECK_FALSE(parse_ok(R"("1")") == parse_ok("1"));
  CHECK_FALSE(Value() == Value(false));
  CHECK(Value() == Value(nullptr));
}

TEST_CASE("round trip: parse, serialize, parse gives the same value", "[json]") {
  auto text = GENERATE(as<std::string>{}, "null", "[]", "{}", "[[],{}]", "-1.25e-7",
                       "123456789012345678", "18446744073709551615", "\"\\u0001\\\"\\\\\"",
                       R"({"a":[1,2.5,"x",{"b":null}],"c":false,"d":"\uD834\uDD1E"})", "0.1",
                       "1e308", "5e-324", "-0.0", "[1.0,1]");
  Value v = parse_ok(text);
  std::string once = serialize(v);
  Value again = parse_ok(once);
  CHECK(again == v);
  CHECK(serialize(again) == once);  // serialization is a fixed point
  CHECK(parse_ok(serialize_pretty(v)) == v);
}

TEST_CASE("serialize_pretty indents and keeps empty containers short", "[json]") {
  Value v = parse_ok(R"({"ok":true,"result":{"items":[1,{"a":[]}],"empty":{}}})");
  CHECK(serialize_pretty(v) ==
        "{\n"
        "  \"ok\": true,\n"
        "  \"result\": {\n"
        "    \"items\": [\n"
        "      1,\n"
        "      {\n"
        "        \"a\": []\n"
        "      }\n"
        "    ],\n"
        "    \"empty\": {}\n"
        "  }\n"
        "}");
  CHECK(serialize_pretty(Value(Array{1, 2}), 4) == "[\n    1,\n    2\n]");
  CHECK(serialize(v).find('\n') == std::string::npos);
}

// Crypto helpers against published vectors (RFC 1321, FIPS 180-2, RFC 4231, RFC 7914,
// RFC 4648) and the strictness rules of base64/hex decoding.
#include "tsp/sasl/crypto.h"

#include <catch2/catch.hpp>

#include "test_support.h"

namespace dstm::tsp::sasl {
namespace {

using testing::bytes;

TEST_CASE("md5 and sha256 match RFC 1321 / FIPS 180-2 vectors", "[sasl]") {
  CHECK(hex_encode(as_view(md5(""))) == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(hex_encode(as_view(md5("abc"))) == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(hex_encode(as_view(sha256("abc"))) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("hmac_sha256 matches RFC 4231 test cases 1 and 2", "[sasl]") {
  const std::string key1(20, '\x0b');
  CHECK(hex_encode(as_view(hmac_sha256(key1, "Hi There"))) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(hex_encode(as_view(hmac_sha256("Jefe", "what do ya want for nothing?"))) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // An empty key is legal HMAC (padded with zeros) and must not trip OpenSSL.
  CHECK(hmac_sha256("", "x") == hmac_sha256(std::string(64, '\0'), "x"));
}

TEST_CASE("pbkdf2_hmac_sha256 matches RFC 7914 §11", "[sasl]") {
  const auto one = pbkdf2_hmac_sha256("passwd", "salt", 1, 64);
  REQUIRE(one);
  CHECK(hex_encode(*one) ==
        "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
  const auto many = pbkdf2_hmac_sha256("Password", "NaCl", 80000, 64);
  REQUIRE(many);
  CHECK(hex_encode(*many) ==
        "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
        "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");
  CHECK_FALSE(pbkdf2_hmac_sha256("p", "s", 0));
  CHECK_FALSE(pbkdf2_hmac_sha256("p", "s", 1, 0));
}

TEST_CASE("base64 encodes and decodes the RFC 4648 §10 vectors", "[sasl]") {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    CHECK(base64_encode(plain) == encoded);
    const auto decoded = base64_decode(encoded);
    REQUIRE(decoded);
    CHECK(*decoded == plain);
  }
}

TEST_CASE("base64 round-trips every byte value", "[sasl]") {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t len = 0; len <= all.size(); len += 37) {
    const std::string part = all.substr(0, len);
    CHECK(base64_decode(base64_encode(part)) == part);
  }
}

TEST_CASE("base64_decode is strict", "[sasl]") {
  const char* bad[] = {
      "Zg=",       // length not a multiple of 4
      "Zg",        // missing padding
      "Z===",      // three padding characters
      "====",      // only padding
      "Zm9v\n",    // trailing newline
      "Zm9v ",     // trailing space
      " Zm9v",     // leading space
      "Zm 9",      // space inside
      "Zm9\nv",    // newline inside
      "Zm$v",      // not in the alphabet
      "Zg==Zg==",  // padding in the middle
      "Zg=a",      // data after padding
      "=Zg=",      // padding first
      "Zh==",      // non-zero bits before the padding (RFC 4648 §3.5)
      "Zm9=",      // same, one padding character
      "Zm9v-_==",  // base64url alphabet
  };
  for (const char* text : bad) {
    INFO(text);
    CHECK_FALSE(base64_decode(text));
  }
  CHECK(base64_decode(bytes("Zg=\0")) == std::nullopt);  // a NUL is not '='
}

TEST_CASE("hex encodes lower case and decodes either case", "[sasl]") {
  CHECK(hex_encode(bytes("\x00\xff\x10\xab")) == "00ff10ab");
  CHECK(hex_decode("00FF10aB") == bytes("\x00\xff\x10\xab"));
  CHECK(hex_decode("") == std::string());
  CHECK_FALSE(hex_decode("0"));
  CHECK_FALSE(hex_decode("zz"));
  CHECK_FALSE(hex_decode("0g"));
}

TEST_CASE("constant_time_equal compares lengths, then bytes", "[sasl]") {
  CHECK(constant_time_equal("", ""));
  CHECK(constant_time_equal("abc", "abc"));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "ab"));
  CHECK_FALSE(constant_time_equal("", "a"));
  CHECK_FALSE(constant_time_equal(bytes("ab\0"), "ab"));  // a longer a must not over-read b
  CHECK_FALSE(constant_time_equal("ab", bytes("ab\0")));
}

TEST_CASE("random bytes and the default nonce source", "[sasl]") {
  const auto a = random_bytes(32);
  const auto b = random_bytes(32);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->size() == 32);
  CHECK(*a != *b);
  OpenSslNonceSource source;
  const std::string nonce = source.nonce(16);
  CHECK(nonce.size() == 32);
  CHECK(hex_decode(nonce).has_value());
  CHECK(is_usable_nonce(nonce));
  CHECK(source.nonce(16) != nonce);
}

TEST_CASE("is_usable_nonce enforces the NonceSource contract", "[sasl]") {
  CHECK(is_usable_nonce("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"));
  CHECK_FALSE(is_usable_nonce(""));
  CHECK_FALSE(is_usable_nonce("a,b"));
  CHECK_FALSE(is_usable_nonce("a\"b"));
  CHECK_FALSE(is_usable_nonce("a\\b"));
  CHECK_FALSE(is_usable_nonce("a b"));
  CHECK_FALSE(is_usable_nonce("a\x7f"));
}

TEST_CASE("to_array copies exactly N bytes", "[sasl]") {
  CHECK(to_array<2>("ab") == std::array<std::uint8_t, 2>{'a', 'b'});
  CHECK_FALSE(to_array<2>("abc"));
  CHECK_FALSE(to_array<2>("a"));
}

}  // namespace
}  // namespace dstm::tsp::sasl

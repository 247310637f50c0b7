// TSP message framing over a byte stream (TCP) and over single datagrams (reliable UDP).
//
// TSP has two kinds of messages (tsp-digest.md §2): bare CRLF-terminated lines in the
// authentication phase (VERSION=, CAPABILITY, AUTHENTICATE, SASL data, status lines), and
// `Content-length: N\r\n` + N bytes in the command phase (requests: XML; replies: status line +
// XML). This layer turns input into those items and enforces the size limits before anything
// is buffered past them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tsp/status.h"
#include "util/expected.h"

namespace dstm::tsp {

struct FramingLimits {
  std::size_t max_line = 2048;             // longest line without its CRLF (SASL lines are longest)
  std::size_t max_content_length = 16384;  // checked on the header, before reading the body
};

// One decoded item. Lines come without their line end and with any stray NUL bytes still in
// place (PLAIN needs them: gogoc sends "\0user\0pass"); `body` holds a Content-length payload.
struct FramedItem {
  enum class Kind { kLine, kContent };
  Kind kind = Kind::kLine;
  std::string text;
  std::string trailer;  // datagrams only: what followed the first line (a referral's XML)
};

struct FramingError {
  Status status = Status::kInvalidRequest;
  std::string detail;
};

// Incremental decoder for a TCP stream. Feed bytes as they arrive, then call next() until it
// returns nullopt (needs more input). After an error the stream is out of step and stays failed.
class StreamDecoder {
 public:
  explicit StreamDecoder(FramingLimits limits = {}) : limits_(limits) {}

  void feed(std::string_view bytes) { buffer_.append(bytes); }
  // Next complete item, nullopt when more bytes are needed; check error() when nullopt.
  std::optional<FramedItem> next();
  const std::optional<FramingError>& error() const { return error_; }
  std::size_t buffered() const { return buffer_.size() - consumed_; }

 private:
  std::optional<FramedItem> fail(Status status, std::string detail);
  void compact();

  FramingLimits limits_;
  std::string buffer_;
  std::size_t consumed_ = 0;
  std::optional<std::size_t> pending_body_;  // set while waiting for a Content-length body
  std::optional<FramingError> error_;
};

// Decodes one reliable-UDP payload (the text after the 8-byte header). An empty payload is a
// valid item: the header-only datagram that acknowledges a message with no text (§1).
dstm::Expected<FramedItem, FramingError> decode_datagram(std::string_view payload,
                                                         const FramingLimits& limits = {});

// "Content-length: N\r\n" + body, N = body size. Callers end bodies with CRLF, as gogoc and
// tsps both count the final CRLF (tsp-digest.md §2.4).
std::string frame_content(std::string_view body);

// If `line` (after stray NULs) is a Content-length header, its value; nullopt if it is not one.
// Errors for a header with a bad or oversized number.
dstm::Expected<std::optional<std::size_t>, FramingError> parse_content_length_header(
    std::string_view line, const FramingLimits& limits);

// Drops the NUL bytes gogoc leaves in front of a line (it sends AUTHENTICATE lines with their
// C string terminator: tsp-digest.md §2.3) and surrounding spaces.
std::string_view strip_stray_nuls(std::string_view line);

}  // namespace dstm::tsp

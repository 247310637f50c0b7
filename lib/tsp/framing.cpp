#include "tsp/framing.h"

#include <charconv>

namespace dstm::tsp {
namespace {

constexpr std::string_view kContentLength = "content-length:";

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A line is blank when it holds nothing but NULs and white space: the leftovers of gogoc's
// trailing NUL, or the CRLF a client did not count in its Content-length (draft-00 counts to
// the last character of the XML; implementations count the final CRLF: tsp-digest.md §7b).
bool is_blank(std::string_view line) {
  for (char c : line) {
    if (c != '\0' && c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

}  // namespace

std::string_view strip_stray_nuls(std::string_view line) {
  while (!line.empty() && (line.front() == '\0' || line.front() == ' ')) line.remove_prefix(1);
  while (!line.empty() && (line.back() == '\0' || line.back() == ' ' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  return line;
}

dstm::Expected<std::optional<std::size_t>, FramingError> parse_content_length_header(
    std::string_view line, const FramingLimits& limits) {
  std::string_view s = strip_stray_nuls(line);
  if (!starts_with_nocase(s, kContentLength)) return std::optional<std::size_t>{};
  std::string_view digits = trim_spaces(s.substr(kContentLength.size()));
  std::size_t n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size()) {
    return dstm::unexpected(FramingError{Status::kInvalidRequest,
                                         "bad Content-length value '" + std::string(digits) + "'"});
  }
  if (n > limits.max_content_length) {
    return dstm::unexpected(FramingError{
        Status::kInvalidRequest, "Content-length " + std::to_string(n) + " exceeds the limit of " +
                                     std::to_string(limits.max_content_length)});
  }
  return std::optional<std::size_t>{n};
}

std::optional<FramedItem> StreamDecoder::fail(Status status, std::string detail) {
  error_ = FramingError{status, std::move(detail)};
  buffer_.clear();
  consumed_ = 0;
  return std::nullopt;
}

void StreamDecoder::compact() {
  // Keep the buffer small for sessions that stay open for a whole lease.
  if (consumed_ > 4096 || consumed_ == buffer_.size()) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
}

std::optional<FramedItem> StreamDecoder::next() {
  if (error_) return std::nullopt;
  for (;;) {
    std::string_view avail(buffer_.data() + consumed_, buffer_.size() - consumed_);
    if (pending_body_) {
      if (avail.size() < *pending_body_) return std::nullopt;
      FramedItem item{FramedItem::Kind::kContent, std::string(avail.substr(0, *pending_body_)), {}};
      consumed_ += *pending_body_;
      pending_body_.reset();
      compact();
      return item;
    }
    std::size_t eol = avail.find('\n');
    if (eol == std::string_view::npos) {
      if (avail.size() > limits_.max_line) {
        return fail(Status::kInvalidRequest,
                    "line longer than " + std::to_string(limits_.max_line) + " bytes");
      }
      return std::nullopt;
    }
    if (eol > limits_.max_line + 1) {  // +1: the CR before the LF is not part of the line
      return fail(Status::kInvalidRequest,
                  "line longer than " + std::to_string(limits_.max_line) + " bytes");
    }
    std::string_view line = avail.substr(0, eol);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    consumed_ += eol + 1;
    if (is_blank(line)) {
      compact();
      continue;
    }
    auto header = parse_content_length_header(line, limits_);
    if (!header) return fail(header.error().status, header.error().detail);
    if (header->has_value()) {
      pending_body_ = **header;
      continue;
    }
    FramedItem item{FramedItem::Kind::kLine, std::string(line), {}};
    compact();
    return item;
  }
}

dstm::Expected<FramedItem, FramingError> decode_datagram(std::string_view payload,
                                                         const FramingLimits& limits) {
  if (payload.empty() || is_blank(payload)) return FramedItem{FramedItem::Kind::kLine, "", {}};
  std::size_t eol = payload.find('\n');
  std::string_view first = payload.substr(0, eol);
  if (!first.empty() && first.back() == '\r') first.remove_suffix(1);
  auto header = parse_content_length_header(first, limits);
  if (!header) return dstm::unexpected(header.error());
  if (!header->has_value()) {
    if (first.size() > limits.max_line) {
      return dstm::unexpected(FramingError{Status::kInvalidRequest, "line too long"});
    }
    // What follows the line is gogoc's stray NUL, or the XML of a referral (status + <broker>).
    std::string_view rest = eol == std::string_view::npos ? "" : payload.substr(eol + 1);
    return FramedItem{FramedItem::Kind::kLine, std::string(first),
                      is_blank(rest) ? std::string() : std::string(rest)};
  }
  std::string_view body = eol == std::string_view::npos ? "" : payload.substr(eol + 1);
  std::size_t declared = **header;
  // Lenient as the digest asks (§2.4, §7b): implementations count the final CRLF, draft-00 does
  // not; both are the same message. Anything shorter than declared is a truncated datagram.
  if (body.size() < declared || body.size() > declared + 2) {
    return dstm::unexpected(FramingError{
        Status::kInvalidRequest, "Content-length " + std::to_string(declared) + " but " +
                                     std::to_string(body.size()) + " bytes follow"});
  }
  return FramedItem{FramedItem::Kind::kContent, std::string(body), {}};
}

std::string frame_content(std::string_view body) {
  std::string out = "Content-length: " + std::to_string(body.size()) + "\r\n";
  out.append(body);
  return out;
}

}  // namespace dstm::tsp
